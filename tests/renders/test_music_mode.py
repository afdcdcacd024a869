"""Music mode: the track must decode, the film is cut on its beats, lasts as long as it,
and sounds like it, at the delivery loudness."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from fvs.media.audio import load_mono
from fvs.media.cuts import detect_cuts
from fvs.media.loudness import measure_loudness
from fvs.media.music_analysis import analyse_music
from fvs.media.probe import probe
from tests.conftest import SMALL_RENDER, wait_for
from tests.media.signals import two_part_track, write_wav
from tests.renders.test_uploads import wav

FRAME = 1 / 24
MUSIC_RENDER = {
    "name": "Beat test",
    "project_mode": "music",
    "screenplay": "A red fox runs through a snowy forest. It leaps over a frozen stream. "
    "It stops on a hill under the northern lights.",
    "video_model": "local-animatic",
    "video_resolution": "480p",
}


def post(client, agent, body: dict, part: str, filename: str, data: bytes):
    files = [
        ("request_json", (None, json.dumps(body))),
        (part, (filename, data, "audio/wav")),
    ]
    return client.post("/api/agent/renders", headers=agent.headers, files=files)


# A WAV header that promises a second of samples, followed by a tenth of one.
TRUNCATED = wav()[:-1400]
GARBLED = b"RIFF\x24\x10\x00\x00WAVEjunk" + bytes(range(256)) * 4


@pytest.mark.parametrize("data", [TRUNCATED, GARBLED], ids=["truncated", "garbled"])
@pytest.mark.parametrize(
    ("part", "assets"),
    [
        ("audio", []),
        ("files", [{"filename": "song.wav", "purpose": "soundtrack"}]),
        ("files", [{"filename": "song.wav", "purpose": "music_reference"}]),
    ],
    ids=["audio-part", "soundtrack-asset", "music-reference-asset"],
)
def test_a_track_that_does_not_decode_is_a_422_naming_its_part(
    client, make_agent, part, assets, data
):
    body = {**SMALL_RENDER, "assets": assets}
    response = post(client, make_agent(), body, part, "song.wav", data)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["field"] == part
    assert "'song.wav' does not decode as audio" in error["message"]


def test_lyria_renders_on_the_local_composer_and_says_so(client, make_agent):
    agent = make_agent()
    body = {**SMALL_RENDER, "music_model": "lyria-002", "assets": []}
    response = post(client, agent, body, "files", "song.wav", wav())
    assert response.status_code == 202
    status = response.json()
    assert status["settings"]["music_model"] == "lyria-002"
    assert status["settings"]["executions"]["music"] == {
        "model": "lyria-002",
        "runs_on": "local-composer",
        "provider": "local",
        "standin": True,
    }
    assert status["music"] is None  # not a music render
    client.post(status["cancel_url"], headers=agent.headers)


@pytest.mark.settings(google_api_key="test-express-key")
def test_lyria_runs_on_lyria_once_google_is_configured(client, make_agent):
    body = {
        **SMALL_RENDER,
        "planner_model": "local-planner",
        "image_model": "local-painter",
        "music_model": "lyria-002",
    }
    quote = client.post("/api/agent/renders/estimate", headers=make_agent().headers, json=body)
    assert quote.status_code == 200, quote.text
    assert quote.json()["settings"]["executions"]["music"] == {
        "model": "lyria-002",
        "runs_on": "lyria-002",
        "provider": "google",
        "standin": False,
    }


def test_a_video_model_is_not_a_music_model(client, make_agent):
    response = post(
        client, make_agent(), {**SMALL_RENDER, "music_model": "local-animatic"}, "a", "a.wav", wav()
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "music_model"


def track_wav(tmp_path: Path, beats: int = 40) -> tuple[bytes, np.ndarray]:
    """A 97 BPM track whose first beat is at 0.3 s: whole-second cuts cannot pass by luck."""
    samples, times, _ = two_part_track(bpm=97.0, first_beat=0.3, beats=beats)
    path = write_wav(tmp_path / "song.wav", samples, rate=22050)
    return path.read_bytes(), times


def render_music(
    client, agent, body: dict[str, Any], files: list[tuple[str, tuple[str, bytes, str]]]
) -> dict[str, Any]:
    parts = [("request_json", (None, json.dumps(body))), *files]
    response = client.post("/api/agent/renders", headers=agent.headers, files=parts)
    assert response.status_code == 202, response.text
    return wait_for(client, agent, response.json()["project_id"], ("completed", "failed"), 180)


def download(client, url: str, out: Path) -> Path:
    out.write_bytes(client.get(httpx.URL(url).raw_path.decode()).content)
    return out


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    n = min(len(a), len(b))
    return float(np.corrcoef(a[:n], b[:n])[0, 1])


@pytest.mark.slow
@pytest.mark.parametrize("part", ["audio", "files"])
def test_a_music_render_is_cut_on_the_beats_of_its_uploaded_track(
    client, make_agent, tmp_path, part
):
    agent = make_agent()
    song, _ = track_wav(tmp_path)
    status = render_music(client, agent, MUSIC_RENDER, [(part, ("song.wav", song, "audio/wav"))])
    assert status["status"] == "completed", status["last_error"]
    final = download(client, status["final_video_url"], tmp_path / "final.mp4")
    analysis = analyse_music(tmp_path / "song.wav")
    media = probe(final)
    length = media.video.frame_count / media.video.fps

    # The film lasts as long as the track, to the frame.
    assert abs(length - analysis.duration_seconds) <= FRAME
    music = status["music"]
    assert music["source"] == "uploaded"
    assert abs(music["bpm"] - 97) < 1 and music["beat_count"] == len(analysis.beats)
    assert abs(music["duration_seconds"] - analysis.duration_seconds) < 1e-3

    # Every cut, as planned and as seen in the picture, is on a beat the track has.
    shots = status["shots"]
    assert shots[0]["start_seconds"] == 0 and shots[-1]["end_seconds"] == pytest.approx(
        analysis.duration_seconds
    )
    planned = [s["start_seconds"] for s in shots[1:]]
    assert all(min(abs(c - b) for b in analysis.beats) < 1e-3 for c in planned)
    seen = detect_cuts(final)
    assert len(seen) == len(planned)
    assert all(min(abs(c - b) for b in analysis.beats) <= FRAME + 1e-6 for c in seen), seen
    assert any(abs(c - round(c)) > 2 * FRAME for c in seen)  # not whole seconds by luck

    # Each clip was filmed at the smallest clip length that covers its shot.
    for shot in shots:
        span = shot["end_seconds"] - shot["start_seconds"]
        longer = [d for d in (2, 4, 6, 8, 10) if d >= span - 1e-6]
        assert shot["duration_seconds"] == longer[0]

    # The sound is the track (clip audio muted by default), delivered at -14 LUFS. Sparse
    # drums cannot reach -14 LUFS linearly under the -1 dBTP ceiling, so loudnorm shapes the
    # peaks a little: the waveform stays the track's (an unrelated signal scores near 0).
    heard = load_mono(final, sample_rate=8000)
    sent = load_mono(tmp_path / "song.wav", sample_rate=8000)
    assert correlation(heard, sent) > 0.85
    loudness = measure_loudness(final)
    assert abs(loudness.integrated_lufs + 14) <= 1.0 and loudness.true_peak_dbtp <= -1.0
    production = status["stage_providers"]["production"]
    assert production["integrated_lufs"] == pytest.approx(loudness.integrated_lufs, abs=0.2)
    assert status["settings"]["clip_audio"] == "mute"


@pytest.mark.slow
def test_a_target_cuts_the_track_at_the_nearest_beat_and_a_shot_count_is_kept(
    client, make_agent, tmp_path
):
    agent = make_agent()
    song, times = track_wav(tmp_path, beats=48)
    body = {**MUSIC_RENDER, "scene_target_duration_seconds": 12, "shot_count": 3}
    status = render_music(client, agent, body, [("audio", ("song.wav", song, "audio/wav"))])
    assert status["status"] == "completed", status["last_error"]
    nearest = min(times, key=lambda b: abs(b - 12))
    assert status["music"]["duration_seconds"] == pytest.approx(nearest, abs=0.03)
    assert len(status["shots"]) == 3 and status["settings"]["shot_count"] == 3
    final = download(client, status["final_video_url"], tmp_path / "final.mp4")
    video = probe(final).video
    assert abs(video.frame_count / 24 - status["music"]["duration_seconds"]) <= FRAME


@pytest.mark.slow
@pytest.mark.parametrize("clip_audio", ["duck", "keep"])
def test_clip_sound_is_mixed_under_the_track_when_asked(client, make_agent, tmp_path, clip_audio):
    agent = make_agent()
    song, _ = track_wav(tmp_path, beats=24)
    body = {**MUSIC_RENDER, "clip_audio": clip_audio}
    status = render_music(client, agent, body, [("audio", ("song.wav", song, "audio/wav"))])
    assert status["status"] == "completed", status["last_error"]
    final = download(client, status["final_video_url"], tmp_path / "final.mp4")
    heard = load_mono(final, sample_rate=8000)
    sent = load_mono(tmp_path / "song.wav", sample_rate=8000)
    # The track still carries the mix (tests/media/test_music_cut.py measures the clips' share).
    assert correlation(heard, sent) > 0.5
    assert status["settings"]["clip_audio"] == clip_audio
    loudness = measure_loudness(final)
    assert abs(loudness.integrated_lufs + 14) <= 1.0 and loudness.true_peak_dbtp <= -1.0


@pytest.mark.slow
def test_without_a_track_the_studio_composes_one_from_the_instructions(
    client, make_agent, tmp_path
):
    agent = make_agent()
    body = {
        **MUSIC_RENDER,
        "instructions": "An upbeat 120 bpm track.",
        "scene_target_duration_seconds": 10,
        "lyrics": "[Verse]\nRunning through the snow\nUnder skies of green",
        "seed": 7,
    }
    status = render_music(client, agent, body, [])
    assert status["status"] == "completed", status["last_error"]
    assert status["music"]["source"] == "composed"
    assert abs(status["music"]["bpm"] - 120) < 2
    assert abs(status["music"]["duration_seconds"] - 10) < 0.3
    assert status["stage_providers"]["music"]["runs_on"] == "local-composer"
    # The planner filmed the screenplay; the lyrics only colour the prompts.
    assert not any("Running through the snow" in s["text"] for s in status["shots"])
    final = download(client, status["final_video_url"], tmp_path / "final.mp4")
    video = probe(final).video
    assert abs(video.frame_count / 24 - status["music"]["duration_seconds"]) <= FRAME


def test_music_mode_refuses_custom_shots_and_needs_something_to_film(client, make_agent):
    agent = make_agent()
    shots = {
        "project_mode": "music",
        "instructions": "A fox in the snow.",
        "shots": [{"prompt": "a fox", "duration_seconds": 4}],
    }
    response = client.post("/api/agent/renders", headers=agent.headers, json=shots)
    assert response.status_code == 422 and response.json()["error"]["field"] == "shots"
    response = client.post(
        "/api/agent/renders", headers=agent.headers, json={"project_mode": "music"}
    )
    assert response.status_code == 422 and response.json()["error"]["field"] == "screenplay"


def test_several_undescribed_audio_files_are_a_422_asking_which_is_the_track(client, make_agent):
    files = [
        ("request_json", (None, json.dumps(MUSIC_RENDER))),
        ("files", ("a.wav", wav(), "audio/wav")),
        ("files", ("b.wav", wav(), "audio/wav")),
    ]
    response = client.post("/api/agent/renders", headers=make_agent().headers, files=files)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["field"] == "assets" and "purpose is soundtrack" in error["message"]


def test_a_music_estimate_holds_the_most_the_beat_cut_can_film(client, make_agent):
    agent = make_agent()
    body = {**MUSIC_RENDER, "video_model": "local-animatic", "scene_target_duration_seconds": 30}
    response = client.post("/api/agent/renders/estimate", headers=agent.headers, json=body)
    assert response.status_code == 200, response.text
    estimate = response.json()
    # A composed 30 s track, cut into phrases of at least half the longest (10 s) clip.
    assert estimate["planned_durations"] == [10] * 6
    assert estimate["settings"]["project_mode"] == "music"
