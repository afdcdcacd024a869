"""Transitions through the agent API: fields, refusals, compensated durations, the final cut."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import av
import numpy as np
import pytest

from fvs.errors import ValidationFailed
from fvs.media.loudness import measure_loudness
from fvs.media.probe import probe
from fvs.media.transitions import Transition
from fvs.providers.base import PlanRequest
from fvs.providers.local.planner import LocalPlanner
from fvs.renders.transitions import check_fits
from tests.accounts.web_helpers import api_csrf, form_token, sign_up
from tests.conftest import SMALL_RENDER, wait_for
from tests.renders.test_agent_api import assert_error, submit
from tests.renders.test_modes import CUSTOM, stored_plan
from tests.renders.test_music_mode import download

BAD = [
    ({"transition": "wipe"}, "transition"),
    ({"transition": "crossfade", "transition_seconds": 1.5}, "transition_seconds"),
    ({"transition": "crossfade", "transition_seconds": 0.1}, "transition_seconds"),
    ({"transition": "continuous", "video_model": "veo-3.0-generate-001",
      "video_resolution": "720p", "scene_target_duration_seconds": 16}, "transition"),
]  # fmt: skip


@pytest.mark.parametrize(("fields", "field"), BAD)
def test_a_bad_transition_is_a_422_naming_its_field(client, make_agent, fields, field):
    agent = make_agent()
    assert_error(submit(client, agent, {**SMALL_RENDER, **fields}), 422, field)


def test_a_custom_shot_s_bad_transition_names_the_shot(client, make_agent):
    agent = make_agent()
    shots = [{**CUSTOM["shots"][0], "transition": "spin"}, CUSTOM["shots"][1]]
    assert_error(submit(client, agent, {**CUSTOM, "shots": shots}), 422, "shots[0].transition")
    shots = [{**CUSTOM["shots"][0], "transition_seconds": 2}, CUSTOM["shots"][1]]
    error = assert_error(
        submit(client, agent, {**CUSTOM, "shots": shots}), 422, "shots[0].transition_seconds"
    )
    assert "1" in error["message"]


def test_a_transition_longer_than_half_the_shorter_shot_is_refused() -> None:
    fade = Transition("crossfade", 0.8)
    check_fits([fade], [2, 4], ["transition_seconds"])
    with pytest.raises(ValidationFailed) as caught:
        check_fits([Transition("cut"), fade], [4, 4, 1], ["a", "shots[1].transition_seconds"])
    assert caught.value.field == "shots[1].transition_seconds"
    assert "half the shorter shot (1 s)" in str(caught.value.message)


def estimate(client, agent, body: dict) -> dict:
    response = client.post("/api/agent/renders/estimate", headers=agent.headers, json=body)
    assert response.status_code == 200, response.text
    return response.json()


def test_overlaps_lengthen_the_clips_so_the_film_meets_its_target(client, make_agent):
    agent = make_agent()
    body = {**SMALL_RENDER, "shot_count": 3, "scene_target_duration_seconds": 10}
    assert sum(estimate(client, agent, body)["planned_durations"]) == 10
    dipped = {**body, "transition": "dip_to_black", "transition_seconds": 1.0}
    quote = estimate(client, agent, dipped)
    assert quote["planned_durations"] == [4, 4, 4]  # 12 s of clips, 10 s of film
    assert quote["settings"]["transition"] == "dip_to_black"
    assert quote["settings"]["transition_seconds"] == 1.0


def test_the_account_default_applies_until_a_request_says_otherwise(client, make_agent):
    agent = make_agent(defaults={"transition": "crossfade", "transition_seconds": 0.3})
    settings = estimate(client, agent, SMALL_RENDER)["settings"]
    assert (settings["transition"], settings["transition_seconds"]) == ("crossfade", 0.3)
    settings = estimate(client, agent, {**SMALL_RENDER, "transition": "cut"})["settings"]
    assert settings["transition"] == "cut"


def test_a_custom_render_is_held_to_its_length_less_the_overlaps(client, make_agent):
    agent = make_agent()
    shots = [{**CUSTOM["shots"][0], "transition": "crossfade", "transition_seconds": 1.0},
             CUSTOM["shots"][1]]  # fmt: skip
    body = {**CUSTOM, "shots": shots, "scene_target_duration_seconds": 8}
    error = assert_error(submit(client, agent, body), 422, "scene_target_duration_seconds")
    assert "7 s" in error["message"]
    quote = estimate(client, agent, {**body, "scene_target_duration_seconds": 7})
    assert quote["settings"]["scene_target_duration_seconds"] == 7


SCENE = {
    **SMALL_RENDER,
    "screenplay": "Shot 1: A red fox walks into a snowy forest. "
    "Shot 2: It looks up at the falling snow. "
    "Shot 3: Later, the fox sleeps in its den.",
    "shot_count": 3,
    "scene_target_duration_seconds": 10,
    "transition": "crossfade",
    "transition_seconds": 1.0,
}


def luma(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="gray").astype(float) for f in container.decode(video=0)]


@pytest.mark.slow
def test_a_crossfaded_render_blends_only_around_its_cuts(client, make_agent, settings, tmp_path):
    agent = make_agent()
    project_id = submit(client, agent, SCENE).json()["project_id"]
    status = wait_for(client, agent, project_id, ("completed", "failed"), 180)
    assert status["status"] == "completed", status["last_error"]
    shots = status["shots"]
    # The plan chose per cut: a dip to black before the jump in time, a crossfade elsewhere.
    assert [s["transition"] for s in shots] == ["crossfade", "dip_to_black", None]
    assert [s["filmed_from"] for s in shots] == ["keyframe"] * 3
    assert stored_plan(settings, project_id).delivered_seconds == 10
    production = status["stage_providers"]["production"]
    assert production["assembly"] == "smart" and production["reencoded_frames"] <= 4 * 24
    final = download(client, status["final_video_url"], tmp_path / "final.mp4")
    clip = download(client, shots[0]["clip_url"], tmp_path / "c1.mp4")
    following = download(client, shots[1]["clip_url"], tmp_path / "c2.mp4")
    frames, first, second = luma(final), luma(clip), luma(following)
    assert len(frames) == 10 * 24 and abs(probe(final).duration_seconds - 10) < 0.05
    # The crossfade spans film frames 72-95 (the last second of the 4 s first shot).
    middle, a, b = frames[84], first[84], second[12]
    assert np.abs(middle - (a + b) / 2).mean() < min(np.abs(middle - a).mean(), 4.0) + 2
    # The dip: its middle frame, a second before the last shot's start, is black.
    assert frames[72 + 96 - 12].mean() < 10 < frames[150].mean()
    loudness = measure_loudness(final)
    assert abs(loudness.integrated_lufs + 14) <= 1.0 and loudness.true_peak_dbtp <= -1.0


@pytest.mark.slow
def test_a_continuous_animatic_flows_into_the_next_keyframe(client, make_agent, tmp_path):
    agent = make_agent()
    # Both shots push in, so the second starts on its keyframe at rest: the frame the
    # animatic morphs the first one into.
    shots = [{**shot, "camera": "push_in"} for shot in CUSTOM["shots"]]
    body = {**CUSTOM, "shots": shots, "transition": "continuous"}
    project_id = submit(client, agent, body).json()["project_id"]
    status = wait_for(client, agent, project_id, ("completed", "failed"), 180)
    assert status["status"] == "completed", status["last_error"]
    shots = status["shots"]
    assert [s["filmed_from"] for s in shots] == ["keyframe_to_next", "keyframe"]
    assert shots[0]["transition"] == "continuous"
    first = luma(download(client, shots[0]["clip_url"], tmp_path / "c1.mp4"))
    second = luma(download(client, shots[1]["clip_url"], tmp_path / "c2.mp4"))
    # The first shot ends where the second begins; a cut between them would jump.
    assert np.abs(first[-1] - second[0]).mean() < 0.25 * np.abs(first[0] - second[0]).mean()
    assert status["stage_providers"]["production"]["assembly"] == "copy"


def test_the_settings_form_saves_a_default_transition(client):
    sign_up(client)
    page = client.get("/settings").text
    assert "Transition between shots" in page and 'value="dip_to_black"' in page
    form = {
        "csrf_token": form_token(client, "/settings"),
        "transition": "crossfade",
        "transition_seconds": "0.7",
    }
    saved = client.post("/settings/defaults", data=form, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    defaults = client.get("/api/account/defaults").json()
    assert defaults["saved"] == {"transition": "crossfade", "transition_seconds": 0.7}
    assert 'value="0.7" selected' in client.get("/settings").text


def test_the_defaults_api_refuses_a_bad_transition(client):
    sign_up(client)
    headers = api_csrf(client)
    for values, field in (
        ({"transition_seconds": 3}, "transition_seconds"),
        ({"transition_seconds": "0.5"}, "transition_seconds"),
        ({"transition": "wipe"}, "transition"),
        ({"transition": "continuous", "video_model": "veo-3.0-generate-001"}, "transition"),
    ):
        response = client.put("/api/account/defaults", json=values, headers=headers)
        assert_error(response, 422, field)


def test_the_local_planner_dips_before_a_jump_in_time() -> None:
    request = PlanRequest(
        screenplay=SCENE["screenplay"],
        instructions="",
        shot_count=3,
        target_seconds=12,
        allowed_durations=(2, 4, 6, 8),
        transition="crossfade",
        transition_seconds=0.4,
    )
    shots = LocalPlanner().plan(request).shots
    assert [s.transition for s in shots] == ["crossfade", "dip_to_black", "crossfade"]
    assert {s.transition_seconds for s in shots} == {0.4}
    cut = LocalPlanner().plan(replace(request, transition="cut")).shots
    assert {s.transition for s in cut} == {"cut"}
