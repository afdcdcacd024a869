"""wait() follows a render's live event stream, and falls back to polling when it cannot.

The studio's events route is served here by a tiny Starlette app that speaks the same
contract: GET /api/agent/renders/{id} (status JSON) and .../events (text/event-stream).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from fvs.client import AsyncStudio, Polling, Progress, Studio, WaitTimedOut
from fvs.client.sse import EventDecoder
from tests.threaded_server import serve_app

PID = "proj_events"
STAGE_EVENTS = [
    ("render.stage_changed", "running", "planning"),
    ("render.stage_changed", "running", "storyboarding"),
    ("render.shot_changed", "running", "storyboarding"),
    ("render.progress", "running", "filming"),
    ("render.completed", "completed", "completed"),
]


@dataclass
class FakeRender:
    """A render whose status turns completed after `polls_to_finish` status reads."""

    events: list[tuple[str, str, str]] | None = None  # None: no events route (404)
    drop_after: int | None = None  # close the stream after this many events
    polls_to_finish: int = 1
    retry_after: str | None = None
    etags: bool = False  # answer with an ETag per status, and 304 to a current one
    status_reads: int = 0
    conditional: list[str | None] = field(default_factory=list)
    not_modified: int = 0
    keys_seen: list[str] = field(default_factory=list)
    seen_accept: list[str] = field(default_factory=list)

    def body(self) -> dict[str, Any]:
        done = self.status_reads > self.polls_to_finish
        return {
            "project_id": PID,
            "name": "Fake",
            "status": "completed" if done else "running",
            "current_stage": "completed" if done else "filming",
            "status_url": f"http://x/api/agent/renders/{PID}",
            "final_video_url": None,
            "last_error": None,
        }

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/api/agent/renders/{pid}", self.status),
                Route("/api/agent/renders/{pid}/events", self.stream),
            ]
        )

    async def status(self, request: Request) -> Response:
        self.status_reads += 1
        self.keys_seen.append(request.headers.get("x-fvs-agent-key", ""))
        headers = {"Retry-After": self.retry_after} if self.retry_after else {}
        body = self.body()
        self.conditional.append(request.headers.get("if-none-match"))
        if self.etags:
            headers["ETag"] = f'W/"{body["status"]}"'
            if self.conditional[-1] == headers["ETag"]:
                self.not_modified += 1
                return Response(status_code=304, headers=headers)
        return JSONResponse(body, headers=headers)

    async def stream(self, request: Request) -> Response:
        self.seen_accept.append(request.headers.get("accept", ""))
        if self.events is None:
            return JSONResponse({"error": {"code": "not_found"}}, status_code=404)
        events = self.events[: self.drop_after] if self.drop_after else self.events

        async def lines() -> Any:
            yield ": keep-alive\n\n"
            for number, (name, status, stage) in enumerate(events, 1):
                data = json.dumps({"type": name, "status": status, "stage": stage})
                yield f"id: {number}\nevent: {name}\ndata: {data}\n\n"
                await asyncio.sleep(0.01)

        return StreamingResponse(lines(), media_type="text/event-stream")


@pytest.fixture
def fake() -> FakeRender:
    return FakeRender()


@pytest.fixture
def base_url(fake: FakeRender) -> Iterator[str]:
    with serve_app(fake.app()) as url:
        yield url


def test_wait_follows_the_stream_then_reads_the_status_once(fake, base_url):
    fake.events = STAGE_EVENTS
    fake.polls_to_finish = 1  # the first read says running; the one after the stream, completed
    seen: list[Progress] = []
    with Studio(base_url, "fvs_k", polling=Polling(interval=30)) as studio:
        status = studio.wait(PID, on_progress=seen.append, timeout=20)
    assert status.status == "completed"
    assert [p.kind for p in seen] == [
        "render.polled",
        *(name for name, _, _ in STAGE_EVENTS),
        "render.polled",
    ]
    assert [p.stage for p in seen[1:-1]] == [stage for _, _, stage in STAGE_EVENTS]
    assert fake.status_reads == 2  # before the stream and after its terminal event: no polling
    assert fake.seen_accept == ["text/event-stream"] and set(fake.keys_seen) == {"fvs_k"}


def test_without_an_events_route_wait_polls(fake, base_url):
    fake.events, fake.polls_to_finish = None, 3
    seen: list[Progress] = []
    with Studio(base_url, "fvs_k", polling=Polling(interval=0.05)) as studio:
        status = studio.wait(PID, on_progress=seen.append, timeout=20)
    assert status.status == "completed" and fake.status_reads == 4
    assert {p.kind for p in seen} == {"render.polled"} and len(fake.seen_accept) == 1


def test_a_stream_that_drops_before_the_end_falls_back_to_polling(fake, base_url):
    fake.events, fake.drop_after, fake.polls_to_finish = STAGE_EVENTS, 2, 3
    seen: list[Progress] = []
    with Studio(base_url, "fvs_k", polling=Polling(interval=0.05)) as studio:
        status = studio.wait(PID, on_progress=seen.append, timeout=20)
    kinds = [p.kind for p in seen]
    assert kinds[1:3] == ["render.stage_changed", "render.stage_changed"]
    assert "render.completed" not in kinds and kinds[-1] == "render.polled"
    assert status.status == "completed" and fake.status_reads == 4


def test_polling_follows_retry_after_over_its_own_interval(fake, base_url):
    # Polling every 30 s would outlast the 10 s wait; Retry-After: 0.1 finishes it.
    fake.events, fake.polls_to_finish, fake.retry_after = None, 3, "0.1"
    with Studio(base_url, "fvs_k", polling=Polling(interval=30)) as studio:
        assert studio.wait(PID, timeout=10).status == "completed"


def test_a_wait_that_runs_out_says_so_with_the_last_status(fake, base_url):
    fake.events, fake.polls_to_finish = None, 10_000
    with (
        Studio(base_url, "fvs_k", polling=Polling(interval=0.05)) as studio,
        pytest.raises(WaitTimedOut) as raised,
    ):
        studio.wait(PID, timeout=0.3)
    assert raised.value.status is not None and raised.value.status.status == "running"


def test_the_async_client_follows_the_stream_too(fake, base_url):
    fake.events = STAGE_EVENTS
    seen: list[str] = []

    async def note(progress: Progress) -> None:  # a coroutine callback is awaited
        seen.append(progress.kind)

    async def main() -> str:
        async with AsyncStudio(base_url, "fvs_k", polling=Polling(interval=30)) as studio:
            return (await studio.wait(PID, on_progress=note, timeout=20)).status

    assert asyncio.run(main()) == "completed"
    assert seen[1:-1] == [name for name, _, _ in STAGE_EVENTS] and fake.status_reads == 2


def test_the_async_client_polls_without_a_stream(fake, base_url):
    fake.events, fake.polls_to_finish = None, 2

    async def main() -> str:
        async with AsyncStudio(base_url, "fvs_k", polling=Polling(interval=0.05)) as studio:
            return (await studio.wait(PID, timeout=20)).status

    assert asyncio.run(main()) == "completed" and fake.status_reads == 3


def test_the_event_decoder_reads_ids_names_multiline_data_and_skips_comments():
    decoder = EventDecoder()
    lines = [": hello", "id: 7", "event: render.progress", 'data: {"type": "render.progress",']
    lines += ['data: "stage": "filming"}', "", "data: not json", ""]
    events = [e for e in map(decoder.feed, lines) if e is not None]
    assert [(e.id, e.event) for e in events] == [("7", "render.progress"), ("7", "message")]
    assert events[0].data == {"type": "render.progress", "stage": "filming"}
    assert events[1].data == {"data": "not json"}


def test_polls_are_conditional_and_a_304_keeps_the_status_it_had(fake, base_url):
    fake.events, fake.polls_to_finish, fake.etags = None, 3, True
    seen: list[Progress] = []
    with Studio(base_url, "fvs_k", polling=Polling(interval=0.05)) as studio:
        status = studio.wait(PID, on_progress=seen.append, timeout=20)
    assert status.status == "completed" and fake.status_reads == 4
    assert fake.conditional == [None, 'W/"running"', 'W/"running"', 'W/"running"']
    assert fake.not_modified == 2
    assert [p.status for p in seen] == ["running", "running", "running", "completed"]

    fake.status_reads, fake.conditional, fake.not_modified = 0, [], 0

    async def main() -> str:
        async with AsyncStudio(base_url, "fvs_k", polling=Polling(interval=0.05)) as studio:
            return (await studio.wait(PID, timeout=20)).status

    assert asyncio.run(main()) == "completed" and fake.not_modified == 2
