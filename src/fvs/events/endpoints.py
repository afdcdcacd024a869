"""The live event streams: for agent keys beside the status route, for signed-in pages.

Each event's `id` is its seq in the render's log; a client reconnecting with
`Last-Event-ID` (or `?last_event_id=`) gets exactly what it missed. The stream ends
after completed, failed or cancelled.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from sse_starlette import EventSourceResponse, ServerSentEvent

from fvs.accounts.deps import CurrentSession
from fvs.deps import StudioDep
from fvs.errors import ValidationFailed, error_responses
from fvs.events.feed import EventFeed
from fvs.events.repository import StoredEvent
from fvs.keys.deps import AgentDep
from fvs.studio import Studio

router = APIRouter()
# A client whose socket stops draining is dropped after this long, not kept forever.
SEND_TIMEOUT_SECONDS = 30
STREAM_DESCRIPTION = (
    "Server-Sent Events: one per stage change (`render.stage_changed`), shot change "
    "(`render.shot_changed`), progress step (`render.progress`), halt for review "
    "(`render.halted_for_review`) and the end (`render.completed`, `render.failed`, "
    "`render.cancelled`), after which the stream closes. Each `data` is JSON with `type`, "
    "`status`, `stage`, `progress` and, for a shot, `shot`; each `id` is the event's "
    "sequence number. Reconnect with `Last-Event-ID` (or `last_event_id`) to resume with "
    "no gap and no repeat. A comment is sent every 15 s to keep the connection open."
)


def event_feed(request: Request) -> EventFeed:
    feed: EventFeed = request.app.state.event_feed
    return feed


FeedDep = Annotated[EventFeed, Depends(event_feed)]
LastEventIdQuery = Annotated[int | None, Query(ge=0, description="Resume after this event id.")]
LastEventIdHeader = Annotated[str | None, Header(alias="Last-Event-ID")]


def resume_point(header: str | None, query: int | None) -> int:
    """Where the stream resumes: the header a reconnecting EventSource sends, else the query."""
    if header is None or not header.strip():
        return query or 0
    text = header.strip()
    if not text.isdigit():
        raise ValidationFailed("Last-Event-ID", "must be the id of an event this stream sent")
    return int(text)


def as_sse(found: StoredEvent) -> ServerSentEvent:
    return ServerSentEvent(data=json.dumps(found.data), event=found.type, id=str(found.seq))


async def as_stream(
    events: AsyncGenerator[StoredEvent, None],
) -> AsyncIterator[ServerSentEvent]:
    async with aclosing(events):  # a client gone unsubscribes now, not at garbage collection
        async for found in events:
            yield as_sse(found)


async def open_stream(
    studio: Studio, feed: EventFeed, *, account_id: str, project_id: str, after: int
) -> EventSourceResponse:
    """Check the render is the account's (404 otherwise), then stream from `after`."""

    backlog = await feed.missed(account_id=account_id, project_id=project_id, after=after)
    return EventSourceResponse(
        as_stream(feed.follow(project_id, after, backlog)),
        ping=studio.settings.events_keepalive_seconds,
        send_timeout=SEND_TIMEOUT_SECONDS,
        headers={"Cache-Control": "no-store"},
    )


STREAM_EXAMPLE = (
    "event: render.stage_changed\r\n"
    'data: {"project_id": "proj_api_60c90c0841464675", "status": "running", '
    '"stage": "filming", "progress": 0.2, "created_at": "2026-11-29T02:10:00+00:00", '
    '"type": "render.stage_changed"}\r\nid: 8\r\n\r\n'
    ": ping - 2026-11-29 02:10:15.000000+00:00\r\n\r\n"
)
STREAM_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/event-stream": {"example": STREAM_EXAMPLE}},
        "description": "The render's events, until the last.",
    },
}


@router.get(
    "/api/agent/renders/{project_id}/events",
    tags=["agent"],
    summary="Follow a render's events live",
    description=STREAM_DESCRIPTION,
    response_class=EventSourceResponse,
    responses={**STREAM_RESPONSES, **error_responses(401, 404, 422)},
)
async def agent_events(
    project_id: str,
    studio: StudioDep,
    principal: AgentDep,
    feed: FeedDep,
    last_event_id: LastEventIdQuery = None,
    last_event_header: LastEventIdHeader = None,
) -> EventSourceResponse:
    after = resume_point(last_event_header, last_event_id)
    return await open_stream(
        studio, feed, account_id=principal.account_id, project_id=project_id, after=after
    )


@router.get(
    "/api/account/projects/{project_id}/events",
    include_in_schema=False,
)
async def account_events(
    project_id: str,
    studio: StudioDep,
    caller: CurrentSession,
    feed: FeedDep,
    last_event_id: LastEventIdQuery = None,
    last_event_header: LastEventIdHeader = None,
) -> EventSourceResponse:
    after = resume_point(last_event_header, last_event_id)
    return await open_stream(
        studio, feed, account_id=caller.account.id, project_id=project_id, after=after
    )
