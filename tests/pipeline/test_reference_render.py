"""The seed's reference payload, rendered whole on the local providers, probed frame by frame."""

from __future__ import annotations

import json
import shutil
from importlib import resources

import pytest
from PIL import Image

from fvs.billing import repository as ledger
from fvs.media.cuts import detect_cuts
from fvs.media.loudness import measure_loudness
from fvs.media.probe import is_faststart, probe
from tests.conftest import wait_for


@pytest.mark.slow
def test_reference_payload_renders_to_spec(client, make_agent, settings):
    agent = make_agent(credits=1000)
    payload = json.loads(resources.files("fvs").joinpath("reference_request.json").read_text())
    payload["stage_voice_briefs_enabled"] = True
    job = client.post(
        "/api/agent/renders",
        headers=agent.headers,
        files={"request_json": (None, json.dumps(payload))},
    ).json()
    status = wait_for(client, agent, job["project_id"], ("completed", "failed"), timeout=240)
    assert status["status"] == "completed", status["last_error"]
    assert [s["duration_seconds"] for s in status["shots"]] == [8, 8, 8]
    assert status["stage_providers"]["filming"]["standin"] is True

    folder = settings.media_dir / "projects" / job["project_id"]
    final = folder / "final.mp4"
    media = probe(final)
    assert (media.video.codec, media.video.pix_fmt) == ("h264", "yuv420p")
    assert (media.video.width, media.video.height, media.video.fps) == (1280, 720, 24.0)
    assert abs(media.duration_seconds - 24) <= 0.5
    assert (media.audio.codec, media.audio.sample_rate, media.audio.channels) == ("aac", 48000, 2)
    assert is_faststart(final)
    cuts = detect_cuts(final)
    assert len(cuts) == 2, cuts
    assert abs(cuts[0] - 8) <= 1 / 24 and abs(cuts[1] - 16) <= 1 / 24
    production = status["stage_providers"]["production"]
    assert production["stream_copied"] is True  # the picture; only the sound is levelled
    # Every final is delivered at -14 LUFS with true peak at or under -1 dBTP, as measured.
    loudness = measure_loudness(final)
    assert abs(loudness.integrated_lufs + 14) <= 1 and loudness.true_peak_dbtp <= -1
    assert production["integrated_lufs"] == loudness.integrated_lufs
    assert production["true_peak_dbtp"] == loudness.true_peak_dbtp
    for shot in range(1, 4):
        with Image.open(folder / "keyframes" / f"shot-{shot:02d}.png") as keyframe:
            assert keyframe.size == (1024, 576)
    assert status["contact_sheet_url"] and (folder / "contact-sheet.jpg").stat().st_size > 0

    if shutil.which("espeak-ng"):
        assert [b["stage"] for b in status["voice_briefs"]] == [
            "planning",
            "storyboarding",
            "filming",
            "production",
        ]
        assert (
            client.get(status["voice_briefs"][0]["url"].removeprefix("http://testserver")).content[
                :4
            ]
            == b"RIFF"
        )
    else:
        assert status["voice_briefs"] == [] and "espeak-ng" in " ".join(status["notes"])
    with client.app.state.studio.db.read() as session:
        assert ledger.open_holds(session, project_id=job["project_id"]) == []
        assert ledger.project_settled(session, job["project_id"]) == status["credits_settled"]
    # Storyboarding held four subject references; one recurring subject used one.
    assert status["credits_settled"] == status["credits_reserved"] - 3
