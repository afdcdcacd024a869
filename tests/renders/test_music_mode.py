"""Music mode's groundwork: a soundtrack upload must decode, and the music model is resolved."""

from __future__ import annotations

import json

import pytest

from tests.conftest import SMALL_RENDER
from tests.renders.test_uploads import wav


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
