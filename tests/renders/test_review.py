"""Halt for review: approve cheap stills before paying for video, or repaint one shot first."""

from __future__ import annotations

import pytest
from PIL import Image, ImageChops

from tests.conftest import SMALL_RENDER, wait_for

HALTING = {**SMALL_RENDER, "stage_behaviour": "halt_for_review"}


def halted(client, agent):
    job = client.post("/api/agent/renders", headers=agent.headers, json=HALTING).json()
    return wait_for(
        client,
        agent,
        job["project_id"],
        ("completed", "failed"),
        where=lambda b: b["current_stage"] == "halted_for_review",
    )


@pytest.mark.slow
def test_a_halted_storyboard_waits_then_films_once_approved(client, make_agent):
    agent = make_agent()
    status = halted(client, agent)
    assert status["status"] == "running" and status["is_running"] is False
    assert status["progress"] == 0.2  # planning and storyboarding done, filming ahead
    assert status["run_id"] and status["clip_count"] == 0
    assert all(s["keyframe_url"] for s in status["shots"])
    approved = client.post(f"{status['status_url']}/approve", headers=agent.headers)
    assert approved.status_code == 200
    done = wait_for(client, agent, status["project_id"], ("completed", "failed"))
    assert done["status"] == "completed" and done["clip_count"] == 2
    again = client.post(f"{status['status_url']}/approve", headers=agent.headers)
    assert again.status_code == 409


@pytest.mark.slow
def test_one_keyframe_is_regenerated_and_charged_before_filming(client, make_agent, settings):
    agent = make_agent(credits=500)
    status = halted(client, agent)
    before_url = status["shots"][1]["keyframe_url"]
    settled = status["credits_settled"]
    url = f"{status['status_url']}/shots/2/regenerate"
    response = client.post(url, headers=agent.headers)
    assert response.status_code == 200
    assert response.json()["credits_settled"] == settled + 1  # one 1K local image
    fresh = wait_for(
        client,
        agent,
        status["project_id"],
        ("failed",),
        where=lambda b: b["shots"][1]["keyframe_url"] != before_url,
    )
    assert fresh["current_stage"] == "halted_for_review"
    folder = settings.media_dir / "projects" / status["project_id"] / "keyframes"
    with (
        Image.open(folder / "shot-02.png") as old,
        Image.open(folder / "shot-02-take-2.png") as new,
    ):
        assert (
            old.size == new.size
            and ImageChops.difference(old.convert("RGB"), new.convert("RGB")).getbbox()
        )
    assert (
        client.post(f"{status['status_url']}/shots/9/regenerate", headers=agent.headers).status_code
        == 404
    )
    client.post(f"{status['status_url']}/approve", headers=agent.headers)
    done = wait_for(client, agent, status["project_id"], ("completed", "failed"))
    assert done["status"] == "completed"
    wallet = client.get("/api/agent/wallet", headers=agent.headers).json()
    assert wallet["available_credits"] == 500 - done["credits_settled"]


@pytest.mark.slow
def test_review_routes_refuse_other_accounts_and_running_renders(client, make_agent):
    owner, stranger = make_agent(), make_agent()
    status = halted(client, owner)
    for path in ("/approve", "/shots/1/regenerate"):
        response = client.post(status["status_url"] + path, headers=stranger.headers)
        assert response.status_code == 404
    plain = client.post(
        "/api/agent/renders",
        headers=owner.headers,
        json={**SMALL_RENDER, "wait_for_completion_seconds": 60},
    ).json()
    refused = client.post(plain["status_url"] + "/approve", headers=owner.headers)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "conflict"
