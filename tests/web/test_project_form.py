"""The new-project form's modes, shot list, style preset and described files, and the waveform."""

from __future__ import annotations

import io
import re
import time
import uuid
import wave
from typing import Any

import numpy as np
from fastapi.testclient import TestClient
from PIL import Image

from fvs.billing import service as billing
from fvs.providers.styles import PRESET_NAMES
from fvs.renders.uploads import PURPOSE_KINDS
from tests.accounts.web_helpers import form_token, sign_up
from tests.media.signals import two_part_track, write_wav

FORM = {
    "screenplay": "",
    "video_model": "local-animatic",
    "video_resolution": "480p",
    "image_resolution": "1K",
    "stage_behaviour": "run_all",
}


def _grant(client: TestClient) -> None:
    account_id = client.get("/api/account/session").json()["account_id"]
    client.app.state.studio.db.transact(
        lambda s: billing.grant(
            s, account_id=account_id, amount=1000, transfer_id=f"grant:{uuid.uuid4().hex}"
        )
    )


def _post(client: TestClient, data: dict[str, Any], files: list | None = None) -> Any:
    body = {**FORM, **data, "csrf_token": form_token(client, "/projects/new")}
    return client.post("/projects", data=body, files=files or [], follow_redirects=False)


def _status(client: TestClient, response: Any, ready: Any) -> dict[str, Any]:
    assert response.status_code == 303, response.text
    project_id = response.headers["location"].rsplit("/", 1)[1]
    deadline = time.monotonic() + 90
    while True:
        status = client.get(f"/api/account/projects/{project_id}").json()
        if ready(status):
            return status
        assert time.monotonic() < deadline, status
        time.sleep(0.05)


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 18), (40, 90, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def _wav(seconds: float = 2.0, rate: int = 22050) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    pcm = (np.sin(2 * np.pi * 220 * t) * 0.4 * 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
    return buffer.getvalue()


def test_the_form_offers_modes_presets_purposes_and_rows(client):
    sign_up(client)
    saved = client.post(
        "/settings/defaults",
        data={"visual_style_preset": "noir", "csrf_token": form_token(client, "/settings")},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    page = client.get("/projects/new").text
    modes = re.findall(r'name="project_mode" value="(\w+)"', page)
    assert modes == ["scene", "custom", "music"]
    assert re.search(r'name="project_mode" value="scene"\s+checked', page)
    preset = page[page.index('name="visual_style_preset"') :].split("</select>")[0]
    assert re.findall(r'<option value="(\w+)"', preset) == list(PRESET_NAMES)
    assert re.search(r'<option value="noir"\s+selected', preset)
    purposes = page[page.index('name="asset_purpose"') :].split("</select>")[0]
    assert re.findall(r'<option value="(\w*)"', purposes) == ["", *PURPOSE_KINDS]
    assert 'name="files" type="file"' in page and 'name="audio" type="file"' in page
    assert page.count('name="shot_prompt"') == 3 and page.count('name="shot_duration"') == 3


def test_a_custom_form_renders_the_posted_shots(client):
    sign_up(client)
    _grant(client)
    data = {
        "project_mode": "custom",
        "shot_prompt": ["A fox wakes in the snow.", "", "The fox runs to the trees."],
        "shot_duration": ["4", "", "2"],
    }
    status = _status(client, _post(client, data), lambda s: len(s["shots"]) == 2)
    shots = [(s["duration_seconds"], s["text"]) for s in status["shots"]]
    assert [d for d, _ in shots] == [4, 2]
    assert "fox wakes" in shots[0][1] and "runs to the trees" in shots[1][1]


def test_a_scene_form_ignores_the_shot_rows(client):
    sign_up(client)
    _grant(client)
    data = {"screenplay": "A fox in the snow.", "shot_count": "1", "shot_prompt": ["A cat."]}
    data["shot_duration"] = ["not a number"]
    status = _status(client, _post(client, data), lambda s: len(s["shots"]) == 1)
    assert "cat" not in status["shots"][0]["text"].lower()


def test_a_described_file_keeps_its_label_and_purpose(client):
    sign_up(client)
    _grant(client)
    data = {
        "screenplay": "Mara walks through the snow.",
        "shot_count": "1",
        "asset_label": ["Mara"],
        "asset_purpose": ["character_reference"],
    }
    files = [("files", ("mara.png", _png(), "image/png"))]
    status = _status(client, _post(client, data, files), lambda s: s["uploads"])
    (upload,) = status["uploads"]
    assert (upload["filename"], upload["label"], upload["purpose"]) == (
        "mara.png",
        "Mara",
        "character_reference",
    )


def test_a_bad_shot_duration_comes_back_beside_its_row(client):
    sign_up(client)
    data = {
        "project_mode": "custom",
        "shot_prompt": ["A fox.", "A tree."],
        "shot_duration": ["4", "four"],
    }
    refused = _post(client, data)
    assert refused.status_code == 422
    assert 'id="shots[1].duration_seconds-error"' in refused.text
    assert "whole seconds" in refused.text
    assert 'value="four"' in refused.text and 'value="A tree."' in refused.text
    assert re.search(r'name="project_mode" value="custom"\s+checked', refused.text)


def test_a_duration_the_model_cannot_film_names_the_shot(client):
    sign_up(client)
    _grant(client)
    refused = _post(
        client, {"project_mode": "custom", "shot_prompt": "A fox.", "shot_duration": "3"}
    )
    assert refused.status_code == 422
    assert 'id="shots[0].duration_seconds-error"' in refused.text
    assert "please fix the field marked below" in refused.text


def test_a_label_without_a_file_names_the_row(client):
    sign_up(client)
    refused = _post(client, {"screenplay": "A fox.", "asset_label": ["Mara"]})
    assert refused.status_code == 422
    assert 'id="assets[0].filename-error"' in refused.text and 'value="Mara"' in refused.text


def test_a_project_without_a_track_has_no_waveform(client):
    sign_up(client)
    _grant(client)
    status = _status(client, _post(client, {"screenplay": "A fox.", "shot_count": "1"}), bool)
    page = client.get(f"/projects/{status['project_id']}").text
    assert 'id="waveform"' not in page
    assert client.get(f"/projects/{status['project_id']}/waveform.png").status_code == 404


def test_a_music_project_from_the_form_draws_its_waveform(client, tmp_path):
    sign_up(client)
    _grant(client)
    samples, _, _ = two_part_track(beats=16)
    track = write_wav(tmp_path / "track.wav", samples, rate=22050).read_bytes()
    files = [("files", ("track.wav", track, "audio/wav"))]
    data = {"project_mode": "music", "screenplay": "A fox runs. It leaps. It rests."}
    # Planning measures the track and stores it on the project; the page then draws it.
    status = _status(client, _post(client, data, files), lambda s: s["music"])
    assert status["settings"]["project_mode"] == "music"
    assert status["music"]["source"] == "uploaded" and status["music"]["beat_count"] >= 14
    page = client.get(f"/projects/{status['project_id']}").text
    assert f'src="/projects/{status["project_id"]}/waveform.png"' in page
    drawn = client.get(f"/projects/{status['project_id']}/waveform.png")
    assert drawn.status_code == 200 and drawn.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(drawn.content))
    assert image.size == (1200, 240)


def test_a_form_with_more_fields_than_any_project_needs_is_refused(client):
    sign_up(client)
    flood = {f"junk{i}": "x" for i in range(500)}
    refused = _post(client, {"screenplay": "A fox.", **flood})
    assert refused.status_code == 422
    assert "form refused" in refused.text
