"""The live event stream of a real render on a real server: order, resume, the end."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from fvs.config import Settings
from tests.conftest import SMALL_RENDER, Agent
from tests.events.sse import Event, Reader
from tests.threaded_server import serve_in_thread

STAGES = ["planning", "storyboarding", "filming", "production", "completed"]
TERMINAL = {"render.completed", "render.failed", "render.cancelled"}


@pytest.fixture
def server(settings: Settings) -> Iterator[str]:
    with serve_in_thread(settings) as base_url:
        yield base_url


def submit(base_url: str, agent: Agent, body: dict | None = None) -> str:
    response = httpx.post(
        f"{base_url}/api/agent/renders",
        headers=agent.headers,
        files={"request_json": (None, json.dumps(body or SMALL_RENDER))},
        timeout=30,
    )
    assert response.status_code == 202, response.text
    return response.json()["project_id"]


def stream(
    base_url: str, agent: Agent, project_id: str, *, after: int | None = None, limit: int = 0
) -> list[Event]:
    """Events until the server closes the stream (or `limit` of them, then hang up)."""
    headers = dict(agent.headers)
    if after is not None:
        headers["Last-Event-ID"] = str(after)
    url = f"{base_url}/api/agent/renders/{project_id}/events"
    got: list[Event] = []
    with httpx.stream("GET", url, headers=headers, timeout=120) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        for found in Reader().events(response.iter_lines()):
            got.append(found)
            if limit and len(got) == limit:
                break
    return got


def stages_seen(events: list[Event]) -> list[str]:
    return [e.data["stage"] for e in events if e.type == "render.stage_changed"]


@pytest.mark.slow
def test_a_subscriber_sees_every_stage_in_order_then_the_stream_ends(server, make_agent):
    agent = make_agent()
    project_id = submit(server, agent)
    events = stream(server, agent, project_id)

    assert [e.id for e in events] == list(range(1, len(events) + 1))
    assert stages_seen(events) == STAGES
    assert events[-1].type == "render.completed"
    assert [e.type for e in events].count("render.completed") == 1
    for e in events:
        assert e.data["type"] == e.type
        assert {"status", "stage", "progress", "project_id"} <= set(e.data)
    shots = [
        (e.data["shot"]["number"], e.data["shot"]["state"]) for e in events if "shot" in e.data
    ]
    assert sorted(shots) == [(1, "filmed"), (1, "keyframed"), (2, "filmed"), (2, "keyframed")]
    steps = [e.data["progress"] for e in events if e.type == "render.progress"]
    assert steps == sorted(steps) and steps[-1] == 1.0 and len(steps) >= 4
    status = httpx.get(f"{server}/api/agent/renders/{project_id}", headers=agent.headers)
    assert status.json()["status"] == "completed"


@pytest.mark.slow
def test_a_reconnect_with_last_event_id_loses_nothing_and_repeats_nothing(server, make_agent):
    agent = make_agent()
    project_id = submit(server, agent)
    first = stream(server, agent, project_id, limit=3)  # hang up mid-render
    rest = stream(server, agent, project_id, after=first[-1].id)
    whole = stream(server, agent, project_id, after=0)

    assert [e.id for e in first + rest] == [e.id for e in whole]
    assert [(e.type, e.data) for e in first + rest] == [(e.type, e.data) for e in whole]
    assert whole[-1].type == "render.completed"
    assert stages_seen(whole) == STAGES


@pytest.mark.slow
def test_a_client_connecting_after_the_end_gets_the_terminal_event_at_once(server, make_agent):
    agent = make_agent()
    project_id = submit(server, agent)
    whole = stream(server, agent, project_id)
    last = whole[-1]

    again = stream(server, agent, project_id, after=last.id - 1)
    assert [(e.id, e.type) for e in again] == [(last.id, "render.completed")]
    # The query parameter resumes as the header does.
    url = f"{server}/api/agent/renders/{project_id}/events?last_event_id={last.id - 2}"
    with httpx.stream("GET", url, headers=agent.headers, timeout=30) as response:
        ids = [e.id for e in Reader().events(response.iter_lines())]
    assert ids == [last.id - 1, last.id]
    # Past the end: nothing more will come, and the stream closes at once.
    assert stream(server, agent, project_id, after=last.id) == []


@pytest.mark.slow
def test_a_cancelled_render_ends_its_stream_with_cancelled(server, make_agent):
    agent = make_agent()
    project_id = submit(server, agent, SMALL_RENDER | {"stage_behaviour": "halt_for_review"})
    url = f"{server}/api/agent/renders/{project_id}/events"
    with httpx.stream("GET", url, headers=agent.headers, timeout=60) as response:
        seen: list[Event] = []
        for found in Reader().events(response.iter_lines()):
            seen.append(found)
            if found.type == "render.halted_for_review":
                cancel = httpx.post(
                    f"{server}/api/agent/renders/{project_id}/cancel", headers=agent.headers
                )
                assert cancel.status_code == 200
    assert seen[-1].type == "render.cancelled"
    assert "halted_for_review" in stages_seen(seen)
    assert [e.type for e in seen if e.type in TERMINAL] == ["render.cancelled"]


@pytest.mark.slow
def test_a_server_that_runs_no_steps_streams_another_servers_render(settings, make_agent):
    # The stream reads the shared log, so the server a client follows need not be the one
    # whose workers run the render (as with several API replicas and Celery workers).
    agent = make_agent()
    quiet = settings.model_copy(update={"executor": "none"})
    with serve_in_thread(settings) as worker, serve_in_thread(quiet) as watcher:
        project_id = submit(watcher, agent)  # queued by the quiet one, run by the other
        events = stream(watcher, agent, project_id)
    assert stages_seen(events) == STAGES
    assert events[-1].type == "render.completed"
    assert worker != watcher
