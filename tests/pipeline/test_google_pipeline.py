"""Whole renders on the google providers, through the real SDK, against the local Vertex fake."""

from __future__ import annotations

import base64
import json
import re
import time
from importlib import resources

import pytest
import requests
from fastapi.testclient import TestClient

from fvs.app import build_studio, create_app
from fvs.billing import repository as ledger
from fvs.media.probe import probe
from fvs.pipeline import repository
from fvs.pipeline.remote_film import soften_prompt
from tests.conftest import wait_for
from tests.fakes.vertex import FakeVertex
from tests.fakes.vertex_media import png_bytes
from tests.live_server import LiveServer, fvs
from tests.media.signals import two_part_track, write_wav

GOOGLE_MODELS = {
    "planner_model": "gemini-2.5-flash",
    "image_model": "gemini-3-pro-image-preview",
    "tts_model": "gemini-2.5-flash-preview-tts",
}
SHORT = {
    "screenplay": "Shot 1: A young woman opens a red door. Shot 2: She steps into the rain.",
    "shot_count": 2,
    "scene_target_duration_seconds": 8,
    "video_model": "veo-3.1-fast-generate-001",
    "video_resolution": "720p",
    **GOOGLE_MODELS,
}


@pytest.fixture
def fake():
    with FakeVertex() as server:
        yield server


@pytest.fixture
def settings_overrides(settings_overrides, fake):
    """Every studio here talks to the fake through the real SDK; a test's marker may add more."""
    return {
        "google_api_key": "test-express-key",
        "google_base_url": fake.base_url,
        "veo_poll_seconds": 0.05,
        "job_retry_base_seconds": 0,
        **settings_overrides,
    }


def submit(client, agent, body):
    response = client.post(
        "/api/agent/renders",
        headers=agent.headers,
        files={"request_json": (None, json.dumps(body))},
    )
    assert response.status_code == 202, response.text
    return response.json()


@pytest.mark.slow
def test_reference_payload_is_filmed_by_veo_through_the_sdk(settings, fake, make_agent):
    agent = make_agent(credits=5000)
    payload = json.loads(resources.files("fvs").joinpath("reference_request.json").read_text())
    payload.update(GOOGLE_MODELS, stage_voice_briefs_enabled=True)
    with TestClient(create_app(settings)) as client:
        job = submit(client, agent, payload)
        status = wait_for(client, agent, job["project_id"], ("completed", "failed"), timeout=180)
    assert status["status"] == "completed", status["last_error"]
    filming = status["stage_providers"]["filming"]
    assert filming == {
        "model": "veo-3.1-fast-generate-001",
        "runs_on": "veo-3.1-fast-generate-001",
        "provider": "google",
        "standin": False,
    }
    starts = fake.recorded("predictLongRunning")
    assert len(starts) == 3
    # Gemini painted the fox's reference: the planner films the second shot from it.
    assert [s["filmed_from"] for s in status["shots"]] == ["keyframe", "references", "keyframe"]
    # Shots are filmed at once, in any order: match each start to its shot by its prompt.
    prompts = [r.body["instances"][0]["prompt"] for r in starts]
    numbers = [re.search(r"fox moves, shot (\d+)", p) for p in prompts]
    by_shot = {int(n.group(1)) - 1: r for n, r in zip(numbers, starts, strict=True) if n}
    assert sorted(by_shot) == [0, 1, 2]
    for shot in status["shots"]:
        start = by_shot[shot["index"]]
        params = start.body["parameters"]
        assert params["durationSeconds"] == shot["duration_seconds"] == 8
        assert params["resolution"] == "720p" and params["aspectRatio"] == "16:9"
        instance = start.body["instances"][0]
        if shot["filmed_from"] == "keyframe":
            assert instance["image"]["bytesBase64Encoded"]  # its keyframe
            assert "referenceImages" not in instance
        else:  # the subject's painted reference, as an ASSET, and no first frame
            assert "image" not in instance and "lastFrame" not in instance
            [asset] = instance["referenceImages"]
            assert asset["referenceType"] == "ASSET" and asset["image"]["bytesBase64Encoded"]
        assert "subtitles" in params["negativePrompt"]
    keyframe_calls = [
        r for r in fake.recorded("generateContent") if r.model == "gemini-3-pro-image-preview"
    ]
    assert len(keyframe_calls) == 3 + 1  # one subject reference, three keyframes
    assert any(
        sum("inlineData" in p or "inline_data" in p for p in r.body["contents"][0]["parts"])
        for r in keyframe_calls
    )  # keyframes carry the subject reference
    final = settings.media_dir / "projects" / job["project_id"] / "final.mp4"
    media = probe(final)
    assert (media.video.width, media.video.height) == (1280, 720)
    assert abs(media.duration_seconds - 24) <= 0.5 and media.audio.codec == "aac"
    assert len(status["voice_briefs"]) == 4


@pytest.mark.slow
def test_a_withheld_clip_is_retried_softer_and_not_billed(settings, fake, make_agent):
    agent = make_agent(credits=5000)
    fake.filter_next_videos(1)
    with TestClient(create_app(settings)) as client:
        job = submit(client, agent, {**SHORT, "shot_count": 1})
        status = wait_for(client, agent, job["project_id"], ("completed", "failed"))
    assert status["status"] == "completed", status["last_error"]
    prompts = [r.body["instances"][0]["prompt"] for r in fake.recorded("predictLongRunning")]
    assert len(prompts) == 2 and prompts[1] == soften_prompt(prompts[0], 1)
    assert "withheld" in status["shots"][0]["notes"][0]
    studio = build_studio(settings)
    with studio.db.read() as session:
        post = ledger.resolution_of(session, f"hold:{job['project_id']}:filming")
    studio.db.dispose()
    assert post.kind == "post" and post.amount == 8 * 15  # one 8 s clip; the withheld one free


@pytest.mark.slow
@pytest.mark.settings(veo_safety_retries=1)
def test_a_clip_withheld_every_time_fails_its_shot_in_plain_words(settings, fake, make_agent):
    agent = make_agent(credits=5000)
    fake.filter_next_videos(5)
    with TestClient(create_app(settings)) as client:
        job = submit(client, agent, {**SHORT, "shot_count": 1})
        status = wait_for(client, agent, job["project_id"], ("completed", "failed"))
        with client.app.state.studio.db.read() as session:
            assert ledger.open_holds(session, project_id=job["project_id"]) == []
    assert status["status"] == "failed" and status["current_stage"] == "filming"
    assert status["last_error"].startswith("filming failed on shot 1: ")
    assert "safety filter withheld the clip 2 times" in status["last_error"]


@pytest.mark.slow
def test_rate_limits_are_retried(settings, fake, make_agent):
    agent = make_agent(credits=5000)
    fake.fail_next("predictLongRunning", status=429, times=2)
    with TestClient(create_app(settings)) as client:
        job = submit(client, agent, {**SHORT, "shot_count": 1})
        status = wait_for(client, agent, job["project_id"], ("completed", "failed"), timeout=120)
    assert status["status"] == "completed", status["last_error"]


@pytest.mark.slow
@pytest.mark.settings(veo_deadline_seconds=1.0)
def test_an_operation_that_never_finishes_fails_at_the_deadline(settings, fake, make_agent):
    agent = make_agent(credits=5000)
    fake.never_finish = True
    with TestClient(create_app(settings)) as client:
        job = submit(client, agent, {**SHORT, "shot_count": 1})
        status = wait_for(client, agent, job["project_id"], ("completed", "failed"))
        wallet = client.get("/api/agent/wallet", headers=agent.headers).json()
    assert status["status"] == "failed"
    assert "did not deliver the clip within 1 s" in status["last_error"]
    assert wallet["held_credits"] == 0
    assert len(fake.recorded("predictLongRunning")) == 1


@pytest.mark.slow
def test_a_restart_mid_poll_polls_the_same_operation(tmp_path, fake):

    data = tmp_path / "data"
    env = {
        "FVS_GOOGLE_API_KEY": "k",
        "FVS_GOOGLE_BASE_URL": fake.base_url,
        "FVS_VEO_POLL_SECONDS": "0.1",
        "FVS_JOB_LEASE_SECONDS": "1.5",
    }
    fake.polls_before_done = 10_000  # Veo keeps working while the server dies
    server = LiveServer(data, **env).start()
    fvs(server.env, "accounts", "create", "veo@example.com", "--credits", "5000")
    key = fvs(server.env, "keys", "create", "veo@example.com").splitlines()[-1]
    headers = {"X-FVS-Agent-Key": key}
    job = requests.post(
        f"{server.base_url}/api/agent/renders",
        headers=headers,
        files={"request_json": (None, json.dumps(SHORT))},
        timeout=60,
    ).json()
    deadline = time.monotonic() + 120
    while len(fake.recorded("fetchPredictOperation")) < 4:  # both clips started and polled
        assert time.monotonic() < deadline, fake.requests[-3:]
        time.sleep(0.05)
    server.kill()
    fake.polls_before_done = 0
    server = LiveServer(data, **env).start()
    try:
        while (
            status := requests.get(
                job["status_url"].replace(job["status_url"].split("/api/")[0], server.base_url),
                headers=headers,
                timeout=30,
            ).json()
        )["status"] not in ("completed", "failed"):
            assert time.monotonic() < deadline
            time.sleep(0.1)
    finally:
        server.stop()
    assert status["status"] == "completed", status["last_error"]
    assert len(fake.recorded("predictLongRunning")) == 2  # no clip paid for twice


def test_the_reference_payload_price_on_google(settings, make_agent):
    """The figure the README quotes, computed from the registry by the estimate route."""
    agent = make_agent(credits=5000)
    payload = json.loads(resources.files("fvs").joinpath("reference_request.json").read_text())
    with TestClient(create_app(settings)) as client:
        quote = client.post(
            "/api/agent/renders/estimate", headers=agent.headers, json=payload
        ).json()
    assert quote["settings"]["planner_model"] == "gemini-2.5-flash"  # Google's are the defaults
    assert quote["credits_breakdown"] == {
        "creation": 5,
        "planning": 2,
        "storyboarding": (3 + 4) * 14,
        "filming": 24 * 15,
        "production": 3,
    }
    assert quote["credits_estimated"] == 468


@pytest.mark.slow
def test_imagen_paints_the_storyboard_through_predict(settings, fake, make_agent):
    agent = make_agent(credits=5000)
    with TestClient(create_app(settings)) as client:
        job = submit(client, agent, {**SHORT, "image_model": "imagen-4.0-generate-001"})
        status = wait_for(client, agent, job["project_id"], ("completed", "failed"))
    assert status["status"] == "completed", status["last_error"]
    assert status["stage_providers"]["storyboarding"]["runs_on"] == "imagen-4.0-generate-001"
    assert len(fake.recorded("predict")) == 1 + 2  # the subject's reference, two keyframes


@pytest.mark.slow
def test_a_custom_noir_render_on_google_has_no_planner_call_and_noir_prompts(
    settings, fake, make_agent
):
    agent = make_agent(credits=5000)
    custom = {
        **{k: v for k, v in SHORT.items() if k not in ("screenplay", "shot_count")},
        "project_mode": "custom",
        "visual_style_preset": "noir",
        "shots": [
            {"prompt": "A detective lights a cigarette.", "duration_seconds": 4},
            {"prompt": "Rain runs down the window.", "duration_seconds": 4, "camera": "pan_left"},
        ],
    }
    with TestClient(create_app(settings)) as client:
        job = submit(client, agent, custom)
        status = wait_for(client, agent, job["project_id"], ("completed", "failed"))
    assert status["status"] == "completed", status["last_error"]
    models = {r.model for r in fake.recorded("generateContent")}
    assert "gemini-2.5-flash" not in models  # the caller wrote the shots: no planner call
    noir = "black-and-white film noir"
    images = [
        r for r in fake.recorded("generateContent") if r.model == "gemini-3-pro-image-preview"
    ]
    assert images and all(noir in r.body["contents"][0]["parts"][0]["text"] for r in images)
    prompts = [r.body["instances"][0]["prompt"] for r in fake.recorded("predictLongRunning")]
    assert len(prompts) == 2 and all(noir in p for p in prompts)
    assert any(p.startswith("A detective lights a cigarette.") for p in prompts)


@pytest.mark.slow
def test_veo_films_a_shot_from_the_uploaded_character_reference(settings, fake, make_agent):
    agent = make_agent(credits=5000)
    custom = {
        **{k: v for k, v in SHORT.items() if k not in ("screenplay", "shot_count")},
        "scene_target_duration_seconds": 12,
        "project_mode": "custom",
        "assets": [{"filename": "mara.png", "label": "Mara", "purpose": "character_reference"}],
        "shots": [
            {"prompt": "Mara waits at the gate.", "duration_seconds": 8, "assets": ["mara.png"]},
            {"prompt": "The gate opens.", "duration_seconds": 4},
        ],
    }
    photo = png_bytes(64, 96)
    files = [
        ("request_json", (None, json.dumps(custom))),
        ("files", ("mara.png", photo, "image/png")),
    ]
    with TestClient(create_app(settings)) as client:
        job = client.post("/api/agent/renders", headers=agent.headers, files=files).json()
        status = wait_for(client, agent, job["project_id"], ("completed", "failed"))
    assert status["status"] == "completed", status["last_error"]
    # The two shots are filmed at once, in either order.
    starts = {
        r.body["instances"][0]["prompt"][:8]: r.body["instances"][0]
        for r in fake.recorded("predictLongRunning")
    }
    with_mara, gate = starts["Mara wai"], starts["The gate"]
    # Veo takes reference images only without a first frame, at 8 s.
    [reference] = with_mara["referenceImages"]
    assert reference["referenceType"] == "ASSET" and "image" not in with_mara
    assert "referenceImages" not in gate and gate["image"]["bytesBase64Encoded"]


@pytest.mark.slow
def test_a_music_render_on_veo_films_silent_clips_at_the_beat_grid_s_lengths(
    settings, fake, make_agent, tmp_path
):
    samples, _, _ = two_part_track(bpm=97.0, first_beat=0.3, beats=24)
    song = write_wav(tmp_path / "song.wav", samples, rate=22050).read_bytes()
    body = {
        **{k: v for k, v in SHORT.items() if k not in ("shot_count", "screenplay")},
        "project_mode": "music",
        "screenplay": "A young woman dances in the rain. She spins under a streetlight.",
        "scene_target_duration_seconds": 12,
        "lyrics": "Rain on the window\nLights on the street",
    }
    agent = make_agent(credits=5000)
    with TestClient(create_app(settings)) as client:
        parts = [("request_json", (None, json.dumps(body))), ("audio", ("song.wav", song))]
        answer = client.post("/api/agent/renders", headers=agent.headers, files=parts)
        assert answer.status_code == 202, answer.text
        status = wait_for(client, agent, answer.json()["project_id"], ("completed", "failed"), 180)
    assert status["status"] == "completed", status["last_error"]
    [plan] = [r for r in fake.recorded("generateContent") if r.model == "gemini-2.5-flash"]
    prompt = json.dumps(plan.body)
    durations = [s["duration_seconds"] for s in status["shots"]]
    assert f"SHOT_DURATIONS={','.join(map(str, durations))}" in prompt
    assert "Rain on the window" in prompt
    starts = fake.recorded("predictLongRunning")
    # Shots are filmed side by side, so the calls arrive in any order.
    assert sorted(s.body["parameters"]["durationSeconds"] for s in starts) == sorted(durations)
    # Muted under the track, the clips are filmed without sound (Veo charges less for it).
    assert all(s.body["parameters"]["generateAudio"] is False for s in starts)
    assert all(d in (4, 6, 8) for d in durations)
    for shot in status["shots"]:
        assert shot["duration_seconds"] >= shot["end_seconds"] - shot["start_seconds"] - 1e-6


@pytest.mark.slow
def test_a_continuous_render_films_each_shot_to_the_next_keyframe(settings, fake, make_agent):
    agent = make_agent(credits=5000)
    body = {**SHORT, "shot_count": 3, "scene_target_duration_seconds": 12,
            "transition": "continuous"}  # fmt: skip
    with TestClient(create_app(settings)) as client:
        job = submit(client, agent, body)
        status = wait_for(client, agent, job["project_id"], ("completed", "failed"), timeout=180)
    assert status["status"] == "completed", status["last_error"]
    shots = status["shots"]
    assert [s["filmed_from"] for s in shots] == ["keyframe_to_next"] * 2 + ["keyframe"]
    assert [s["transition"] for s in shots] == ["continuous", "continuous", None]
    sent = [r.body["instances"][0] for r in fake.recorded("predictLongRunning")]
    by_shot = {n: next(i for i in sent if f"shot {n}." in i["prompt"]) for n in (1, 2, 3)}
    studio = build_studio(settings)
    with studio.db.read() as session:
        keys = [str(s.keyframe_path) for s in repository.shots(session, job["project_id"])]
    with studio.storage.workspace(job["project_id"]) as workspace:
        keyframes = [workspace.input(key).read_bytes() for key in keys]
    studio.db.dispose()
    # Each shot but the last starts on its keyframe and ends on the next shot's.
    for number in (1, 2):
        instance = by_shot[number]
        assert base64.b64decode(instance["image"]["bytesBase64Encoded"]) == keyframes[number - 1]
        assert base64.b64decode(instance["lastFrame"]["bytesBase64Encoded"]) == keyframes[number]
    assert "lastFrame" not in by_shot[3]
