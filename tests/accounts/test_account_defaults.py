"""Saved render defaults: the JSON API, the settings form, and renders inheriting them."""

from __future__ import annotations

import json
import uuid

import pytest

from fvs.billing import service as billing
from fvs.options.defaults import STUDIO_DEFAULTS
from tests.accounts.web_helpers import api_csrf, form_token, sign_up


@pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
def test_put_replaces_and_patch_merges(client):
    sign_up(client)
    headers = api_csrf(client)
    fresh = client.get("/api/account/defaults").json()
    assert fresh == {"saved": {}, "effective": STUDIO_DEFAULTS}

    put = client.put(
        "/api/account/defaults",
        json={"video_resolution": "480p", "stage_voice_briefs_enabled": True},
        headers=headers,
    )
    assert put.status_code == 200, put.text
    assert put.json()["saved"] == {"video_resolution": "480p", "stage_voice_briefs_enabled": True}
    assert put.json()["effective"]["video_resolution"] == "480p"
    assert put.json()["effective"]["video_model"] == STUDIO_DEFAULTS["video_model"]

    patch = client.patch(
        "/api/account/defaults",
        json={"aspect_ratio": "9:16", "stage_voice_briefs_enabled": None},
        headers=headers,
    )
    assert patch.json()["saved"] == {"video_resolution": "480p", "aspect_ratio": "9:16"}
    replaced = client.put("/api/account/defaults", json={"image_resolution": "2K"}, headers=headers)
    assert replaced.json()["saved"] == {"image_resolution": "2K"}
    assert client.get("/api/account/defaults").json() == replaced.json()


BAD_DEFAULTS = [
    ({"video_model": "no-such-model"}, "video_model"),
    ({"video_resolution": "8K"}, "video_resolution"),
    # Veo films no 480p, so the pair is refused though each value alone is known.
    ({"video_model": "veo-3.1-generate-001", "video_resolution": "480p"}, "video_resolution"),
    ({"stage_voice_briefs_enabled": "yes"}, "stage_voice_briefs_enabled"),
    ({"colour": "red"}, "colour"),
    ({"visual_style_preset": "sepia"}, "visual_style_preset"),
    # custom mode needs a request's own shots, so no account can default to it.
    ({"project_mode": "custom"}, "project_mode"),
]


def test_bad_defaults_are_422_naming_the_field(client):
    sign_up(client)
    headers = api_csrf(client)
    client.put("/api/account/defaults", json={"aspect_ratio": "9:16"}, headers=headers)
    for values, field in BAD_DEFAULTS:
        for send in (client.put, client.patch):
            response = send("/api/account/defaults", json=values, headers=headers)
            assert response.status_code == 422, (values, response.text)
            assert response.json()["error"]["field"] == field, values
    assert client.get("/api/account/defaults").json()["saved"] == {"aspect_ratio": "9:16"}


def test_defaults_writes_need_the_csrf_header_and_an_object(client):
    sign_up(client)
    refused = client.put("/api/account/defaults", json={"video_resolution": "480p"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf_failed"
    not_object = client.put("/api/account/defaults", json=["480p"], headers=api_csrf(client))
    assert not_object.status_code == 422
    assert client.get("/api/account/defaults").json()["saved"] == {}


def test_the_settings_form_offers_the_registry_and_saves(client):
    sign_up(client)
    token = form_token(client, "/settings")
    page = client.get("/settings").text
    assert 'value="veo-3.1-generate-001"' in page and 'value="1080p"' in page
    saved = client.post(
        "/settings/defaults",
        data={"video_resolution": "480p", "video_model": "", "csrf_token": token},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert client.get("/api/account/defaults").json()["saved"] == {"video_resolution": "480p"}
    assert '<option value="480p" selected>' in client.get("/settings").text
    bad = client.post(
        "/settings/defaults",
        data={
            "video_model": "veo-3.1-generate-001",
            "video_resolution": "480p",
            "csrf_token": token,
        },
    )
    assert bad.status_code == 400 and "video_resolution" in bad.text
    assert client.get("/api/account/defaults").json()["saved"] == {"video_resolution": "480p"}


@pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
def test_a_render_inherits_the_saved_defaults(client):
    sign_up(client)
    headers = api_csrf(client)
    account_id = client.get("/api/account/session").json()["account_id"]
    studio = client.app.state.studio
    studio.db.transact(
        lambda s: billing.grant(
            s, account_id=account_id, amount=500, transfer_id=f"grant:{uuid.uuid4().hex}"
        )
    )
    client.put("/api/account/defaults", json={"video_resolution": "480p"}, headers=headers)
    secret = client.post("/api/account/keys", json={"name": "r"}, headers=headers).json()["secret"]
    agent = {"X-FVS-Agent-Key": secret}
    body = {"screenplay": "Shot 1: A kite rises. Shot 2: It dips.", "shot_count": 2}
    submitted = client.post(
        "/api/agent/renders", headers=agent, files={"request_json": (None, json.dumps(body))}
    )
    assert submitted.status_code == 202, submitted.text
    status = client.get(submitted.json()["status_url"], headers=agent).json()
    assert status["settings"]["video_resolution"] == "480p"
    cancel = client.post(submitted.json()["cancel_url"], headers=agent)
    assert cancel.status_code in (200, 202, 409)


def test_an_account_may_default_to_music_mode_and_a_music_model(client):
    sign_up(client)
    headers = api_csrf(client)
    saved = client.put(
        "/api/account/defaults",
        json={"project_mode": "music", "music_model": "lyria-002"},
        headers=headers,
    )
    assert saved.status_code == 200, saved.text
    effective = saved.json()["effective"]
    assert (effective["project_mode"], effective["music_model"]) == ("music", "lyria-002")
    refused = client.put(
        "/api/account/defaults", json={"music_model": "local-espeak"}, headers=headers
    )
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "music_model"
