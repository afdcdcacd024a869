"""A render's events, to its own webhook_url and to the account's endpoints, in order."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from tests.conftest import SMALL_RENDER, Agent, wait_for
from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.settings(
    webhook_allow_private=True, webhook_poll_seconds=0.05, webhook_retry_base_seconds=0.05
)
STAGES = ["planning", "storyboarding", "filming", "production"]


def _render_secret(client: TestClient, agent: Agent) -> str:
    response = client.get("/api/agent/webhooks/render-secret", headers=agent.headers)
    assert response.status_code == 200, response.text
    return response.json()["secret"]


def _submit(client: TestClient, agent: Agent, **extra: object) -> dict:
    request = {**SMALL_RENDER, **extra}
    response = client.post("/api/agent/renders", json=request, headers=agent.headers)
    return {"status": response.status_code, "body": response.json()}


@pytest.mark.slow
def test_one_render_yields_its_events_in_order_each_signed(
    client: TestClient, make_agent: Callable[..., Agent]
) -> None:
    agent = make_agent()
    secret = _render_secret(client, agent)
    with Receiver() as receiver:
        submitted = _submit(client, agent, webhook_url=receiver.url)
        assert submitted["status"] == 202, submitted
        project_id = submitted["body"]["project_id"]
        wait_for(client, agent, project_id, ("completed",), timeout=120)
        receiver.wait_until(lambda got: "render.completed" in _types(got), timeout=30)
        final = client.get(f"/api/agent/renders/{project_id}", headers=agent.headers).json()
    bodies = [r.verify(secret) for r in receiver.received]
    assert len({r.msg_id for r in receiver.received}) == len(bodies)  # one id per event
    assert [b["type"] for b in bodies] == [
        "render.queued",
        *["render.stage_changed"] * len(STAGES),
        "render.completed",
    ]
    changed = [b["data"]["current_stage"] for b in bodies if b["type"] == "render.stage_changed"]
    assert changed == STAGES
    for body in bodies:
        assert body["data"]["project_id"] == project_id
    completed = bodies[-1]["data"]
    assert completed["status"] == "completed"
    assert completed["final_video_url"] is not None
    assert completed["clip_count"] == final["clip_count"] == 2


@pytest.mark.slow
def test_webhook_events_choose_what_a_render_sends(
    client: TestClient, make_agent: Callable[..., Agent]
) -> None:
    agent = make_agent()
    secret = _render_secret(client, agent)
    with Receiver() as receiver:
        submitted = _submit(
            client, agent, webhook_url=receiver.url, webhook_events=["render.completed"]
        )
        project_id = submitted["body"]["project_id"]
        wait_for(client, agent, project_id, ("completed",), timeout=120)
        receiver.wait_for(1, timeout=30)
    [only] = [r.verify(secret) for r in receiver.received]
    assert only["type"] == "render.completed"


@pytest.mark.settings(webhook_allow_private=False)
@pytest.mark.parametrize(
    "url", ["https://127.0.0.1/hooks", "https://192.168.1.10/x", "http://example.com/x"]
)
def test_a_private_webhook_url_is_a_422_naming_it(
    client: TestClient, make_agent: Callable[..., Agent], url: str
) -> None:
    agent = make_agent()
    submitted = _submit(client, agent, webhook_url=url)
    assert submitted["status"] == 422, submitted
    assert submitted["body"]["error"]["field"] == "webhook_url"
    listed = client.get("/api/agent/renders", headers=agent.headers).json()
    assert listed["renders"] == []  # nothing was created


def test_an_unknown_webhook_event_is_a_422_naming_it(
    client: TestClient, make_agent: Callable[..., Agent]
) -> None:
    agent = make_agent()
    submitted = _submit(
        client, agent, webhook_url="https://example.com/x", webhook_events=["render.nope"]
    )
    assert submitted["status"] == 422
    assert submitted["body"]["error"]["field"].startswith("webhook_events")


def _types(received: list) -> list[str]:
    return [json.loads(r.body)["type"] for r in received]
