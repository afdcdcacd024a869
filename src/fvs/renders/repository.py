"""Render (project) queries for the agent API and the studio pages."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from fvs.models import Project


def owned_project(session: Session, *, project_id: str, account_id: str) -> Project | None:
    stmt = select(Project).where(Project.id == project_id, Project.account_id == account_id)
    return session.scalars(stmt).first()


def lock_owned_project(session: Session, *, project_id: str, account_id: str) -> Project | None:
    stmt = select(Project).where(Project.id == project_id, Project.account_id == account_id)
    return session.scalars(stmt.with_for_update()).first()


def projects_with(
    session: Session, account_id: str, columns: list[ColumnElement[Any]], *, limit: int
) -> list[tuple[Any, ...]]:
    """The account's newest projects, each row (Project, *columns), in one query."""
    stmt = select(Project, *columns).where(Project.account_id == account_id)
    rows = session.execute(stmt.order_by(Project.created_at.desc()).limit(limit))
    return [tuple(row) for row in rows]
