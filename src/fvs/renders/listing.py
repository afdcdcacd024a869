"""GET /api/agent/renders: the account's renders, newest first, paged by an opaque cursor."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from fvs.billing import service as billing
from fvs.models import Project
from fvs.paging import decode_cursor, encode_cursor
from fvs.pipeline import service as pipeline
from fvs.pipeline.service import ShotCounts
from fvs.renders import repository, service
from fvs.stages import Status


class RenderListItem(BaseModel):
    """One render in the agent's list; its status_url has the whole status."""

    project_id: str
    name: str
    status: str
    current_stage: str
    is_running: bool
    needs_approval: bool
    progress: float
    shot_count: int
    clip_count: int
    credits_reserved: int
    credits_settled: int
    created_at: str
    updated_at: str
    status_url: str


class RenderPage(BaseModel):
    renders: list[RenderListItem]
    next_cursor: str | None  # pass as ?cursor= for the next page; null on the last one


def list_page(
    session: Session,
    *,
    account_id: str,
    limit: int,
    cursor: str | None,
    status: Status | None,
    base_url: str,
) -> RenderPage:
    """One page of the account's renders, newest first, optionally of one status only."""
    project_id = Project.id.expression
    rows = repository.projects_page(
        session,
        account_id,
        [*pipeline.shot_count_columns(project_id), billing.settled_column(project_id)],
        limit=limit + 1,  # one more than asked tells whether another page follows
        before=decode_cursor(cursor),
        status=None if status is None else str(status),
    )
    items = [_item(row, base_url) for row in rows[:limit]]
    last = rows[limit - 1][0] if len(rows) > limit else None
    return RenderPage(
        renders=items,
        next_cursor=None if last is None else encode_cursor(last.created_at, last.id),
    )


def _item(row: tuple[Any, ...], base_url: str) -> RenderListItem:
    project, planned, keyframed, filmed, settled = row
    shots = ShotCounts(planned=planned, keyframed=keyframed, filmed=filmed)
    return RenderListItem(
        project_id=project.id,
        name=project.name,
        status=project.status,
        current_stage=project.current_stage,
        is_running=service.is_running(project),
        needs_approval=service.needs_approval(project),
        progress=service.progress(project, shots),
        shot_count=shots.planned,
        clip_count=shots.filmed,
        credits_reserved=project.credits_reserved,
        credits_settled=settled,
        created_at=project.created_at.isoformat(),
        updated_at=project.updated_at.isoformat(),
        status_url=f"{base_url}/api/agent/renders/{project.id}",
    )
