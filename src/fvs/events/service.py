"""Opening a render's event stream: who may, and what it has missed."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from fvs.events import repository
from fvs.events.repository import StoredEvent
from fvs.renders import service as renders
from fvs.stages import TERMINAL

# Events sent at once to a stream that opens behind; the poller sends the rest.
BACKLOG_LIMIT = 1000


@dataclass(frozen=True)
class Missed:
    """What a stream sends first, and whether anything can follow it."""

    events: list[StoredEvent]
    ended: bool  # the render is over and its last event is in `events` or already seen


def missed_events(session: Session, *, account_id: str, project_id: str, after: int) -> Missed:
    """The account's render's events after seq `after`, or 404 as the status route answers."""
    project = renders.get_render(session, account_id=account_id, project_id=project_id)
    events = repository.events_after(session, {project_id: after}, limit=BACKLOG_LIMIT)
    seen_all = len(events) < BACKLOG_LIMIT
    return Missed(events=events, ended=project.status in TERMINAL and seen_all)
