"""Render (project) queries for the agent API and the studio pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
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


def projects_page(
    session: Session,
    account_id: str,
    columns: list[ColumnElement[Any]],
    *,
    limit: int,
    before: tuple[datetime, str] | None = None,
    status: str | None = None,
) -> list[tuple[Any, ...]]:
    """The account's projects newest first, strictly before a (created_at, id) cursor."""
    stmt = select(Project, *columns).where(Project.account_id == account_id)
    if status is not None:
        stmt = stmt.where(Project.status == status)
    if before is not None:
        stamp, project_id = before
        stmt = stmt.where(
            (Project.created_at < stamp)
            | ((Project.created_at == stamp) & (Project.id < project_id))
        )
    order = (Project.created_at.desc(), Project.id.desc())
    return [tuple(row) for row in session.execute(stmt.order_by(*order).limit(limit))]


def count_by_status(session: Session) -> dict[str, int]:
    """How many renders each status holds, across every account."""
    stmt = select(Project.status, func.count()).group_by(Project.status)
    return {status: int(count) for status, count in session.execute(stmt)}
