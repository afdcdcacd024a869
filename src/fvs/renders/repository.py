"""Render (project) queries for the agent API."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from fvs.models import Project


def owned_project(session: Session, *, project_id: str, account_id: str) -> Project | None:
    stmt = select(Project).where(Project.id == project_id, Project.account_id == account_id)
    return session.scalars(stmt).first()


def lock_owned_project(session: Session, *, project_id: str, account_id: str) -> Project | None:
    stmt = select(Project).where(Project.id == project_id, Project.account_id == account_id)
    return session.scalars(stmt.with_for_update()).first()


def projects_of(session: Session, account_id: str, *, limit: int = 50) -> list[Project]:
    stmt = select(Project).where(Project.account_id == account_id)
    return list(session.scalars(stmt.order_by(Project.created_at.desc()).limit(limit)))
