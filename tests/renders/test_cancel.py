"""Cancelling renders returns their credits and stops their work."""

from __future__ import annotations

import json
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fvs.app import create_app
from fvs.billing import repository as ledger
from fvs.billing import service as billing
from fvs.models import Job, Transfer
from tests.conftest import SMALL_RENDER, wait_for


def wallet(client: TestClient, account_id: str) -> ledger.Balance:
    with client.app.state.studio.db.read() as session:
        return billing.wallet_balance(session, account_id=account_id)


def open_holds(client: TestClient, project_id: str) -> list[Transfer]:
    with client.app.state.studio.db.read() as session:
        return ledger.open_holds(session, project_id=project_id)


@pytest.mark.settings(executor="none")  # nothing picks the job up: it stays queued
def test_cancel_a_queued_render_releases_its_holds(settings, make_agent):
    agent = make_agent(credits=500)
    with TestClient(create_app(settings)) as client:
        project = client.post(
            "/api/agent/renders",
            headers=agent.headers,
            files={"request_json": (None, json.dumps(SMALL_RENDER))},
        ).json()
        assert project["status"] == "queued"
        held = wallet(client, agent.account_id)
        assert held.debits_pending == project["credits_reserved"] - 5
        cancelled = client.post(project["cancel_url"], headers=agent.headers)
        assert cancelled.status_code == 200
        body = cancelled.json()
        assert body["status"] == "cancelled" and body["is_running"] is False
        assert body["run_id"] is None
        after = wallet(client, agent.account_id)
        assert after.debits_pending == 0 and after.available == 500 - 5  # creation is charged
        assert open_holds(client, project["project_id"]) == []
        # Cancelling again is harmless; the job never runs.
        assert client.post(project["cancel_url"], headers=agent.headers).status_code == 200
        with client.app.state.studio.db.read() as session:
            states = set(session.scalars(select(Job.status)))
        assert states == {"cancelled"}


@pytest.mark.slow
def test_cancel_a_running_render_stops_it_and_releases_the_rest(client, make_agent):
    agent = make_agent(credits=500)
    body = {
        **SMALL_RENDER,
        "shot_count": 3,
        "scene_target_duration_seconds": 24,
        "video_resolution": "720p",
    }
    project = client.post(
        "/api/agent/renders",
        headers=agent.headers,
        files={"request_json": (None, json.dumps(body))},
    ).json()
    wait_for(
        client,
        agent,
        project["project_id"],
        ("completed", "failed"),
        where=lambda b: b["current_stage"] in ("storyboarding", "filming"),
    )
    cancelled = client.post(project["cancel_url"], headers=agent.headers).json()
    assert cancelled["status"] == "cancelled"
    time.sleep(1.5)  # let any step that was mid-flight try (and fail) to record itself
    final = client.get(project["status_url"], headers=agent.headers).json()
    assert final["status"] == "cancelled" and final["final_video_url"] is None
    assert open_holds(client, project["project_id"]) == []
    spent = 500 - wallet(client, agent.account_id).available
    assert spent == final["credits_settled"] < final["credits_reserved"]
    completed = client.post(project["cancel_url"], headers=agent.headers)
    assert completed.status_code == 200


@pytest.mark.slow
def test_cancel_of_a_completed_render_is_a_conflict(client, make_agent):
    agent = make_agent()
    project = client.post(
        "/api/agent/renders",
        headers=agent.headers,
        json={**SMALL_RENDER, "wait_for_completion_seconds": 60},
    ).json()
    assert project["status"] == "completed"
    response = client.post(project["cancel_url"], headers=agent.headers)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
