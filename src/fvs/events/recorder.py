"""Write each render's events in the transaction of the change they report.

SQLAlchemy session hooks, installed once per process by build_studio, so no step has to
remember to log: `after_flush` notes which projects and shots a flush changed (from the
attributes' old and new values), and `before_commit` compares each noted project with
the last event in its log and writes what moved: the stage, a shot's keyframe or clip,
the progress, a halt for review, the end. The rows commit, or roll back, with the change.
Comparing at commit, not per flush, keeps the terminal event last even when a step
flushes its status and its stage separately.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, event, inspect
from sqlalchemy.orm import Session, SessionTransaction, UOWTransaction
from sqlalchemy.orm.attributes import History

from fvs.events import repository
from fvs.models import Project, Shot
from fvs.models.base import utcnow
from fvs.pipeline.service import ShotCounts
from fvs.renders.service import progress
from fvs.stages import TERMINAL, Stage, Status

TERMINAL_EVENT = {
    Status.COMPLETED: "render.completed",
    Status.FAILED: "render.failed",
    Status.CANCELLED: "render.cancelled",
}
# A shot's state changes when one of these does (a new take bumps keyframe_version).
SHOT_FIELDS = ("keyframe_path", "clip_path", "keyframe_version")
PROJECT_FIELDS = ("status", "current_stage")
# What a render is before its first event.
BEFORE_FIRST = {"status": Status.QUEUED, "stage": Stage.INPUT, "progress": 0.0}
# session.info key: {project_id: {shot index, ...}} changed in this transaction.
NOTED = "fvs_event_changes"

Noted = dict[str, set[int]]


def install() -> None:
    """Record events on every commit of every session in this process; safe to call again."""
    hooks = (
        ("after_flush", note_changes),
        ("before_commit", write_events),
        ("after_transaction_end", forget),
    )
    for name, hook in hooks:
        if not event.contains(Session, name, hook):
            event.listen(Session, name, hook)


def _changed(history: History) -> bool:
    return bool(history.added) and list(history.added) != list(history.deleted)


def _moved(obj: object, names: tuple[str, ...]) -> bool:
    attrs = inspect(obj).attrs
    return any(_changed(getattr(attrs, name).history) for name in names)


def note_changes(session: Session, _flush: UOWTransaction) -> None:
    """after_flush: the attributes' history is still there; note what moved."""
    noted: Noted = session.info.setdefault(NOTED, {})
    for obj in session.dirty:
        if isinstance(obj, Project) and _moved(obj, PROJECT_FIELDS):
            noted.setdefault(obj.id, set())
        elif isinstance(obj, Shot) and _moved(obj, SHOT_FIELDS):
            noted.setdefault(obj.project_id, set()).add(obj.index)


def write_events(session: Session) -> None:
    """before_commit: flush the rest, then log each noted project's events."""
    session.flush()  # commit's own flush comes after this hook; its changes count too
    noted: Noted = session.info.pop(NOTED, {})
    for project_id in sorted(noted):
        _record(session, project_id, noted[project_id])


def forget(session: Session, transaction: SessionTransaction) -> None:
    """A rolled-back transaction's notes go with it."""
    if transaction.parent is None:
        session.info.pop(NOTED, None)


def shot_state(shot: Shot) -> str:
    """planned, keyframed or filmed: the status route's own words."""
    return "filmed" if shot.clip_path else "keyframed" if shot.keyframe_path else "planned"


def _record(session: Session, project_id: str, shot_indexes: set[int]) -> None:
    conn = session.connection()
    project = session.get(Project, project_id)
    if project is None:
        return
    # Lock the counter first: what the last event said cannot change under us.
    repository.allocate_seqs(conn, project_id, 0)
    last = repository.last_event_data(conn, project_id) or BEFORE_FIRST
    now = _state(conn, project)
    events = _events(session, project_id, last, now, shot_indexes)
    if events:
        first = repository.allocate_seqs(conn, project_id, len(events))
        repository.insert_events(conn, project_id, first, events)


def _state(conn: Connection, project: Project) -> dict[str, Any]:
    counts = ShotCounts(*repository.shot_counts(conn, project.id))
    return {
        "project_id": project.id,
        "status": str(project.status),
        "stage": str(project.current_stage),
        "progress": progress(project, counts),
        "created_at": utcnow().isoformat(),
    }


def _shots(session: Session, project_id: str, indexes: set[int]) -> list[dict[str, Any]]:
    found = [s for s in repository.shots_of(session, project_id) if s.index in indexes]
    return [
        {
            "number": s.index + 1,
            "index": s.index,
            "state": shot_state(s),
            "keyframe_version": s.keyframe_version,
        }
        for s in found
    ]


def _events(
    session: Session,
    project_id: str,
    last: dict[str, Any],
    now: dict[str, Any],
    shot_indexes: set[int],
) -> list[tuple[str, dict[str, Any]]]:
    """This commit's events in the order a reader should see them; the terminal one last."""
    ended = now["status"] in TERMINAL and now["status"] != last["status"]
    status_step = now["status"] != last["status"] and not ended
    events: list[tuple[str, dict[str, Any]]] = []
    if now["stage"] != last["stage"] or status_step:
        events.append(("render.stage_changed", now))
    for shot in _shots(session, project_id, shot_indexes):
        events.append(("render.shot_changed", now | {"shot": shot}))
    if now["progress"] != float(last.get("progress", 0.0)):
        events.append(("render.progress", now))
    if now["stage"] == Stage.HALTED_FOR_REVIEW and last["stage"] != Stage.HALTED_FOR_REVIEW:
        events.append(("render.halted_for_review", now))
    if ended:
        events.append((TERMINAL_EVENT[Status(now["status"])], now))
    return [(kind, data | {"type": kind}) for kind, data in events]
