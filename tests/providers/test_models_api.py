"""GET /api/agent/models, aliases, and refusing stand-ins when the operator forbids them."""

from __future__ import annotations

import pytest

from fvs.providers import registry
from tests.conftest import SMALL_RENDER


def test_models_lists_the_registry_with_where_each_runs(client, make_agent):
    agent = make_agent()
    body = client.get("/api/agent/models", headers=agent.headers).json()
    models = {m["id"]: m for m in body["models"]}
    assert set(models) == {m.id for m in registry.MODELS}
    veo = models["veo-3.1-fast-generate-001"]
    assert veo["capabilities"]["durations"] == [4, 6, 8]
    assert veo["capabilities"]["resolutions"] == ["720p", "1080p"]
    assert veo["aliases"] == ["veo-3.1-fast"]
    assert veo["runs_on"] == "local-animatic" and veo["standin"] is True
    fast30 = models["veo-3.0-fast-generate-001"]["capabilities"]
    assert fast30["durations"] == [8] and fast30["image_to_video"] is False
    assert models["local-animatic"]["standin"] is False
    imagen = models["imagen-4.0-generate-001"]
    assert imagen["lifecycle"] == "deprecated" and imagen["deprecated_on"] == "2027-01-01"
    assert client.get("/api/agent/models").status_code == 401


def test_aliases_resolve_to_canonical_ids(client, make_agent):
    agent = make_agent()
    quote = client.post(
        "/api/agent/renders/estimate",
        headers=agent.headers,
        json={
            **SMALL_RENDER,
            "video_model": "veo-3.1-fast",
            "video_resolution": "720p",
            "scene_target_duration_seconds": 8,
        },
    )
    assert quote.status_code == 200, quote.text
    assert quote.json()["settings"]["video_model"] == "veo-3.1-fast-generate-001"


@pytest.mark.settings(allow_standins=False)
def test_forbidden_standins_refuse_unconfigured_models_before_any_credit_moves(client, make_agent):
    agent = make_agent(credits=100)
    body = {
        **SMALL_RENDER,
        "video_model": "veo-3.1-generate-001",
        "video_resolution": "720p",
        "scene_target_duration_seconds": 8,
    }
    refused = client.post("/api/agent/renders", headers=agent.headers, json=body)
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["field"] == "video_model"
    assert "veo-3.1-generate-001" in error["message"]
    assert "FVS_GOOGLE_PROJECT" in error["message"]
    wallet = client.get("/api/agent/wallet", headers=agent.headers).json()
    assert wallet["available_credits"] == 100 and wallet["held_credits"] == 0
    local = client.post("/api/agent/renders", headers=agent.headers, json=SMALL_RENDER)
    assert local.status_code == 202
