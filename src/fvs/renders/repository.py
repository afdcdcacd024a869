"""Render (project) queries for the agent API and the studio pages."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, Text, bindparam, case, cast, func, select
from sqlalchemy.orm import Session

from fvs.models import Asset, Project, Shot


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


def version_row(
    connection: Connection,
    *,
    project_id: str,
    account_id: str,
    columns: tuple[ColumnElement[Any], ...],
) -> dict[str, Any] | None:
    """The project's version columns by name, in one query (None: no such render of theirs).

    Polled many times a second, so the statement is built once and run through Core,
    without the ORM's per-row work.
    """
    stmt = _version_statement(columns)
    params = {"project_id": project_id, "account_id": account_id}
    row = connection.execute(stmt, params).first()
    return None if row is None else dict(row._mapping)


@functools.cache
def _version_statement(columns: tuple[ColumnElement[Any], ...]) -> Select[Any]:
    stmt = select(
        Project.status, Project.current_stage, Project.updated_at, *columns, *_shot_versions()
    )
    return stmt.where(
        Project.id == bindparam("project_id"), Project.account_id == bindparam("account_id")
    )


def _shot_versions() -> tuple[ColumnElement[Any], ...]:
    """What shot rows add to a render's version: takes, notes and Veo clips in flight.

    Shot rows change without touching the project's updated_at: a keyframe painted or
    repainted (keyframe_version), a note appended (notes only grow), a clip started or
    delivered. Sums of these move whenever one of them does.
    """

    def aggregate(name: str, value: ColumnElement[Any]) -> ColumnElement[Any]:
        stmt = select(func.coalesce(value, 0)).where(Shot.project_id == Project.id)
        return stmt.scalar_subquery().label(name)

    in_flight = Shot.operation_name.is_not(None) & Shot.clip_path.is_(None)
    return (
        aggregate("shots", func.count()),
        aggregate("keyframes", func.count(Shot.keyframe_path)),
        aggregate("clips", func.count(Shot.clip_path)),
        aggregate("takes", func.sum(Shot.keyframe_version)),
        aggregate("notes", func.sum(func.length(cast(Shot.notes, Text)))),
        aggregate("clips_in_flight", func.sum(case((in_flight, 1), else_=0))),
        select(func.count())
        .select_from(Asset)
        .where(Asset.project_id == Project.id)
        .scalar_subquery()
        .label("files"),
    )
