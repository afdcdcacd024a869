"""What each video model allows when it films from reference images, as the registry and
GET /api/agent/models say it."""

from __future__ import annotations

from fvs.providers import registry


def test_veo_31_takes_three_asset_references_for_8_s_landscape_clips() -> None:
    for model_id in ("veo-3.1-generate-001", "veo-3.1-fast-generate-001"):
        veo = registry.find(model_id)
        assert veo is not None and veo.max_reference_images == 3
        assert veo.takes_references(seconds=8, aspect_ratio="16:9")
        assert not veo.takes_references(seconds=6, aspect_ratio="16:9")
        assert not veo.takes_references(seconds=8, aspect_ratio="9:16")
        assert veo.reference_seconds("16:9") == 8 and veo.reference_seconds("9:16") is None


def test_models_without_references_never_take_them() -> None:
    for model in registry.models_for("video"):
        if model.max_reference_images == 0:
            assert model.reference_seconds("16:9") is None
            assert not any(
                model.takes_references(seconds=d, aspect_ratio=a)
                for d in model.durations
                for a in model.aspect_ratios
            )
    assert {m.id for m in registry.models_for("video") if not m.max_reference_images} == {
        "veo-3.0-generate-001",
        "veo-3.0-fast-generate-001",
    }


def test_the_models_route_shows_the_reference_limits(client, make_agent) -> None:
    agent = make_agent()
    body = client.get("/api/agent/models", headers=agent.headers).json()
    models = {m["id"]: m["capabilities"] for m in body["models"]}
    veo = models["veo-3.1-generate-001"]
    assert (veo["max_reference_images"], veo["reference_durations"]) == (3, [8])
    assert veo["reference_aspect_ratios"] == ["16:9"]
    veo30 = models["veo-3.0-generate-001"]
    assert (veo30["max_reference_images"], veo30["reference_durations"]) == (0, [])
