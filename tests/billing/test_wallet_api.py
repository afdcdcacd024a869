"""Agent-facing money: estimate, wallet, history, and holds of a dead render expiring."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fvs.app import create_app
from fvs.billing import repository as ledger
from fvs.models import Transfer
from fvs.pipeline.state import HOLD_EXPIRED, sweep_expired_holds
from tests.conftest import SMALL_RENDER, wait_for


def test_estimate_resolves_and_charges_nothing(client, make_agent):
    agent = make_agent(credits=100)
    body = {
        **SMALL_RENDER,
        "shot_count": 3,
        "scene_target_duration_seconds": 20,
        "video_model": "veo-3.1-fast-generate-001",
        "video_resolution": "720p",
    }
    quote = client.post("/api/agent/renders/estimate", headers=agent.headers, json=body).json()
    assert sorted(quote["planned_durations"]) == [6, 6, 8]
    assert quote["settings"]["video_model"] == "veo-3.1-fast-generate-001"
    assert quote["credits_estimated"] == sum(quote["credits_breakdown"].values())
    assert quote["available_credits"] == 100 and quote["affordable"] is True
    wallet = client.get("/api/agent/wallet", headers=agent.headers).json()
    assert wallet == {"available_credits": 100, "held_credits": 0, "balance_credits": 100}
    bad = client.post(
        "/api/agent/renders/estimate",
        headers=agent.headers,
        json={**body, "video_resolution": "8K"},
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "video_resolution"


@pytest.mark.slow
def test_submitted_render_reserves_its_estimate_and_settles_it(client, make_agent):
    agent = make_agent(credits=100)
    quote = client.post(
        "/api/agent/renders/estimate", headers=agent.headers, json=SMALL_RENDER
    ).json()
    job = client.post("/api/agent/renders", headers=agent.headers, json=SMALL_RENDER).json()
    assert job["credits_reserved"] == quote["credits_estimated"]
    done = wait_for(client, agent, job["project_id"], ("completed", "failed"))
    wallet = client.get("/api/agent/wallet", headers=agent.headers).json()
    assert wallet["held_credits"] == 0
    assert wallet["available_credits"] == 100 - done["credits_settled"]

    page = client.get("/api/agent/wallet/transfers?limit=3", headers=agent.headers).json()
    assert len(page["transfers"]) == 3 and page["next_cursor"]
    seen = page["transfers"]
    while page["next_cursor"]:
        page = client.get(
            f"/api/agent/wallet/transfers?limit=3&cursor={page['next_cursor']}",
            headers=agent.headers,
        ).json()
        seen += page["transfers"]
    kinds = [t["kind"] for t in seen]
    assert kinds[-1] == "single" and seen[-1]["direction"] == "in"  # the grant, oldest
    assert len({t["id"] for t in seen}) == len(seen)
    assert kinds.count("pending") == kinds.count("post") + kinds.count("void")
    spent = sum(
        t["amount"] for t in seen if t["kind"] in ("single", "post") and t["direction"] == "out"
    )
    assert spent == done["credits_settled"]
    bad = client.get("/api/agent/wallet/transfers?cursor=nonsense", headers=agent.headers)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "cursor"


# No worker ever picks the render up: as if every worker died.
@pytest.mark.settings(executor="none", hold_timeout_seconds=1)
def test_holds_of_a_dead_render_expire_and_fail_it(settings, make_agent):
    agent = make_agent(credits=100)
    with TestClient(create_app(settings)) as client:
        job = client.post("/api/agent/renders", headers=agent.headers, json=SMALL_RENDER).json()
        studio = client.app.state.studio
        assert sweep_expired_holds(studio) == []  # not overdue yet
        time.sleep(1.2)
        assert sweep_expired_holds(studio) == [job["project_id"]]
        status = client.get(job["status_url"], headers=agent.headers).json()
        assert status["status"] == "failed" and status["last_error"] == HOLD_EXPIRED
        with studio.db.read() as session:
            assert ledger.open_holds(session, project_id=job["project_id"]) == []
            kinds = {
                t.kind
                for t in session.scalars(
                    select(Transfer).where(Transfer.project_id == job["project_id"])
                )
            }
        assert kinds == {"single", "pending", "expire"}
        wallet = client.get("/api/agent/wallet", headers=agent.headers).json()
        assert wallet["available_credits"] == 100 - 5  # only the creation charge
