"""The stream's auth, not-found and input rules, which match the status route's."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from tests.conftest import SMALL_RENDER, Agent


def submit(client: TestClient, agent: Agent) -> str:
    body = SMALL_RENDER | {"stage_behaviour": "halt_for_review"}
    response = client.post(
        "/api/agent/renders",
        headers=agent.headers,
        files={"request_json": (None, json.dumps(body))},
    )
    assert response.status_code == 202, response.text
    return response.json()["project_id"]


def test_the_stream_needs_the_owners_key(client, make_agent):
    owner, stranger = make_agent(), make_agent()
    project_id = submit(client, owner)
    url = f"/api/agent/renders/{project_id}/events"

    assert client.get(url).status_code == 401
    foreign = client.get(url, headers=stranger.headers)
    assert foreign.status_code == 404
    assert foreign.json()["error"]["field"] == "project_id"
    unknown = "/api/agent/renders/proj_api_0000000000000000/events"
    missing = client.get(unknown, headers=owner.headers)
    assert missing.status_code == 404


def test_a_malformed_resume_point_is_a_422_naming_it(client, make_agent):
    agent = make_agent()
    project_id = submit(client, agent)
    url = f"/api/agent/renders/{project_id}/events"

    header = client.get(url, headers=agent.headers | {"Last-Event-ID": "abc"})
    assert header.status_code == 422
    assert header.json()["error"]["field"] == "Last-Event-ID"
    query = client.get(url + "?last_event_id=-1", headers=agent.headers)
    assert query.status_code == 422
    assert query.json()["error"]["field"] == "last_event_id"


def test_the_account_stream_needs_a_signed_in_browser(client, make_agent):
    agent = make_agent()
    project_id = submit(client, agent)
    response = client.get(f"/api/account/projects/{project_id}/events")
    assert response.status_code == 401
