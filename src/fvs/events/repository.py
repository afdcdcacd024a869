"""The event log's queries. The recorder's run inside a flush, on the flush's connection."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Table, and_, func, insert, or_, select, update
from sqlalchemy.orm import Session

from fvs.models import Project, ProjectEvent, Shot
from fvs.models.base import utcnow

EVENTS = cast(Table, ProjectEvent.__table__)
PROJECTS = cast(Table, Project.__table__)
SHOTS = cast(Table, Shot.__table__)


@dataclass(frozen=True)
class StoredEvent:
    """One row of the log, as streams send it."""

    project_id: str
    seq: int
    type: str
    data: dict[str, Any]

    @property
    def is_terminal(self) -> bool:
        return self.type in TERMINAL_TYPES


TERMINAL_TYPES = frozenset({"render.completed", "render.failed", "render.cancelled"})


def allocate_seqs(conn: Connection, project_id: str, count: int) -> int:
    """Reserve `count` seqs for a project; returns the first.

    The UPDATE locks the project row until commit, so a second writer waits, and events
    commit in the order of their seqs: a reader that saw seq n never later finds n - 1.
    """
    stmt = (
        update(PROJECTS)
        .where(PROJECTS.c.id == project_id)
        .values(event_seq=PROJECTS.c.event_seq + count)
        .returning(PROJECTS.c.event_seq)
    )
    last = int(conn.execute(stmt).scalar_one())  # count 0 only takes the lock
    return last - count + 1


def insert_events(
    conn: Connection, project_id: str, first_seq: int, events: list[tuple[str, dict[str, Any]]]
) -> None:
    now = utcnow()
    rows = [
        {"project_id": project_id, "seq": first_seq + i, "type": kind, "data": data}
        for i, (kind, data) in enumerate(events)
    ]
    for row in rows:
        row["created_at"] = now
    conn.execute(insert(EVENTS), rows)


def last_event_data(conn: Connection, project_id: str) -> dict[str, Any] | None:
    """The data of the project's newest event; None before its first."""
    stmt = (
        select(EVENTS.c.data)
        .where(EVENTS.c.project_id == project_id)
        .order_by(EVENTS.c.seq.desc())
        .limit(1)
    )
    data = conn.execute(stmt).scalar_one_or_none()
    return None if data is None else dict(data)


def shots_of(session: Session, project_id: str) -> list[Shot]:
    """A project's shots, as this session sees them (its own changes included)."""
    return list(session.scalars(select(Shot).where(Shot.project_id == project_id)))


def shot_counts(conn: Connection, project_id: str) -> tuple[int, int, int]:
    """Planned, keyframed and filmed shots of a project."""
    stmt = select(
        func.count(SHOTS.c.id), func.count(SHOTS.c.keyframe_path), func.count(SHOTS.c.clip_path)
    ).where(SHOTS.c.project_id == project_id)
    planned, keyframed, filmed = conn.execute(stmt).one()
    return int(planned), int(keyframed), int(filmed)


def events_after(
    session: Session, cursors: dict[str, int], *, limit: int = 1000
) -> list[StoredEvent]:
    """Events of these projects after each one's seq, in (project, seq) order; one query."""
    if not cursors:
        return []
    wanted = or_(
        *(and_(EVENTS.c.project_id == p, EVENTS.c.seq > seq) for p, seq in cursors.items())
    )
    stmt = (
        select(EVENTS.c.project_id, EVENTS.c.seq, EVENTS.c.type, EVENTS.c.data)
        .where(wanted)
        .order_by(EVENTS.c.project_id, EVENTS.c.seq)
        .limit(limit)
    )
    return [StoredEvent(*row) for row in session.execute(stmt)]


def latest_seq(session: Session, project_ids: Iterable[str]) -> dict[str, int]:
    """Each project's newest seq (0 before its first event)."""
    ids = list(project_ids)
    stmt = select(PROJECTS.c.id, PROJECTS.c.event_seq).where(PROJECTS.c.id.in_(ids))
    return {pid: int(seq) for pid, seq in session.execute(stmt)}
