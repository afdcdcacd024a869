"""What a newcomer tripped over in the agent API (issue 9): review halts, shot numbers,
models in the wrong field, what models support, released holds."""

from __future__ import annotations

import time

from tests.conftest import SMALL_RENDER, wait_for

HALTING = {**SMALL_RENDER, "stage_behaviour": "halt_for_review"}


def test_a_wait_stops_as_soon_as_the_render_halts_for_review(client, make_agent):
    agent = make_agent()
    started = time.monotonic()
    response = client.post(
        "/api/agent/renders",
        headers=agent.headers,
        json={**HALTING, "wait_for_completion_seconds": 60},
    )
    waited = time.monotonic() - started
    body = response.json()
    assert response.status_code == 202 and waited < 30, waited
    assert body["current_stage"] == "halted_for_review" and body["status"] == "running"
    assert body["needs_approval"] is True and body["is_running"] is False
    assert body["approve_url"] == f"{body['status_url']}/approve"
    approved = client.post(body["approve_url"], headers=agent.headers).json()
    assert approved["needs_approval"] is False and approved["approve_url"] is None
    assert approved["current_stage"] == "filming"


def test_a_render_that_needs_no_approval_says_so(client, make_agent):
    agent = make_agent()
    body = client.post("/api/agent/renders", headers=agent.headers, json=SMALL_RENDER).json()
    assert body["needs_approval"] is False and body["approve_url"] is None
    keys = list(body)
    assert keys[: keys.index("cancel_url") + 1][-2:] == ["status_url", "cancel_url"]


def test_shots_carry_a_1_based_number_used_by_regenerate(client, make_agent):
    agent = make_agent()
    job = client.post("/api/agent/renders", headers=agent.headers, json=HALTING).json()
    status = wait_for(
        client,
        agent,
        job["project_id"],
        ("completed", "failed"),
        where=lambda b: b["needs_approval"],
    )
    assert [(s["number"], s["index"]) for s in status["shots"]] == [(1, 0), (2, 1)]
    zero = client.post(f"{status['status_url']}/shots/0/regenerate", headers=agent.headers)
    assert zero.status_code == 404
    assert "numbered from 1 to 2" in zero.json()["error"]["message"]
    last = status["shots"][-1]["number"]
    again = client.post(f"{status['status_url']}/shots/{last}/regenerate", headers=agent.headers)
    assert again.status_code == 200


def test_a_known_model_in_the_wrong_field_is_named_as_such(client, make_agent):
    agent = make_agent()
    wrong = client.post(
        "/api/agent/renders",
        headers=agent.headers,
        json={**SMALL_RENDER, "video_model": "gemini-2.5-flash"},
    )
    error = wrong.json()["error"]
    assert wrong.status_code == 422 and error["field"] == "video_model"
    assert "is a planner model" in error["message"] and "planner_model" in error["message"]
    unknown = client.post(
        "/api/agent/renders", headers=agent.headers, json={**SMALL_RENDER, "video_model": "nope"}
    )
    assert "unknown video model 'nope'" in unknown.json()["error"]["message"]


def test_models_report_the_frame_shapes_they_really_make(client, make_agent):
    agent = make_agent()
    models = client.get("/api/agent/models", headers=agent.headers).json()["models"]
    for model in models:
        shapes = model["capabilities"]["aspect_ratios"]
        if model["role"] in ("planner", "tts", "music"):
            assert shapes is None, model["id"]  # no frames: any shape works with them
        else:
            assert set(shapes) == {"16:9", "9:16"}, model["id"]


def test_a_portrait_render_validates_against_the_image_model_too(client, make_agent):
    agent = make_agent()
    portrait = client.post(
        "/api/agent/renders/estimate",
        headers=agent.headers,
        json={**SMALL_RENDER, "aspect_ratio": "9:16", "image_model": "imagen-4.0-generate-001"},
    )
    assert portrait.status_code == 200, portrait.text


def test_released_holds_are_not_shown_as_money_out(client, make_agent):
    agent = make_agent()
    job = client.post("/api/agent/renders", headers=agent.headers, json=HALTING).json()
    client.post(f"{job['status_url']}/cancel", headers=agent.headers)
    transfers = client.get("/api/agent/wallet/transfers", headers=agent.headers).json()
    voided = [t for t in transfers["transfers"] if t["kind"] == "void"]
    assert voided and {t["direction"] for t in voided} == {"released"}
    holds = [t for t in transfers["transfers"] if t["kind"] == "pending"]
    assert holds and {t["direction"] for t in holds} == {"out"}
