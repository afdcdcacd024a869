"""Pipeline queries over projects, shots and assets."""

from __future__ import annotations

from sqlalchemy import ColumnElement, ScalarSelect, func, select
from sqlalchemy.orm import Session

from fvs.models import Asset, Project, Shot


def lock_project(session: Session, project_id: str) -> Project | None:
    stmt = select(Project).where(Project.id == project_id).with_for_update()
    return session.scalars(stmt).first()


def music_of(session: Session, project_id: str) -> dict[str, object] | None:
    """A music render's stored track and analysis (projects.music); None before planning."""
    return session.scalar(select(Project.music).where(Project.id == project_id))


def shots(session: Session, project_id: str) -> list[Shot]:
    stmt = select(Shot).where(Shot.project_id == project_id).order_by(Shot.index)
    return list(session.scalars(stmt))


def shot(session: Session, project_id: str, index: int) -> Shot:
    stmt = select(Shot).where(Shot.project_id == project_id, Shot.index == index)
    return session.scalars(stmt).one()


def assets(session: Session, project_id: str, *, role: str | None = None) -> list[Asset]:
    stmt = select(Asset).where(Asset.project_id == project_id)
    if role is not None:
        stmt = stmt.where(Asset.role == role)
    return list(session.scalars(stmt.order_by(Asset.created_at, Asset.id)))


def uploads(session: Session, project_id: str) -> list[Asset]:
    """A project's uploaded files in the order they were sent (planning numbers them so)."""
    return assets(session, project_id, role="upload")


def count_assets(session: Session, project_id: str, roles: tuple[str, ...]) -> int:
    stmt = (
        select(func.count())
        .select_from(Asset)
        .where(Asset.project_id == project_id, Asset.role.in_(roles))
    )
    return int(session.scalar(stmt) or 0)


def shot_count_columns(project_id: ColumnElement[str]) -> tuple[ScalarSelect[int], ...]:
    """Correlated subqueries: a project's shots, keyframed shots and filmed shots."""

    def count(*where: ColumnElement[bool]) -> ScalarSelect[int]:
        stmt = select(func.count()).select_from(Shot).where(Shot.project_id == project_id, *where)
        return stmt.scalar_subquery()

    return count(), count(Shot.keyframe_path.is_not(None)), count(Shot.clip_path.is_not(None))
