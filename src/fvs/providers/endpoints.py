"""GET /api/agent/models: the registry, and what each model runs on in this studio."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from fvs.config import Settings
from fvs.deps import StudioDep
from fvs.errors import ValidationFailed
from fvs.keys.deps import AgentDep
from fvs.providers import catalog, registry
from fvs.providers.registry import ModelInfo

router = APIRouter(prefix="/api/agent", tags=["models"])


def describe(model: ModelInfo, settings: Settings) -> dict[str, Any]:
    """One model as agents see it: capabilities, prices, lifecycle and where it runs."""
    try:
        runs_on = catalog.execution_for(model, settings=settings, field_name="model").runs_on.id
    except ValidationFailed:
        runs_on = None
    return {
        "id": model.id,
        "provider": model.provider,
        "role": model.role,
        "title": model.title,
        "lifecycle": model.lifecycle,
        "deprecated_on": model.deprecated_on.isoformat() if model.deprecated_on else None,
        "aliases": list(model.aliases),
        "capabilities": {
            "durations": list(model.durations),
            "resolutions": list(model.resolutions),
            # null: the model makes no frames (a planner, a voice), so any shape works with it.
            "aspect_ratios": list(model.aspect_ratios) if model.aspect_ratios else None,
            "audio": model.audio,
            "max_reference_images": model.max_reference_images,
            "image_to_video": model.image_to_video,
            "last_frame": model.last_frame,
            "fps": model.fps if model.role == "video" else None,
            "image_sizes": list(model.credits_per_image),
        },
        "credits": {
            "per_call": model.credits_per_call,
            "per_image": model.credits_per_image,
            "per_second": model.credits_per_second,
        },
        "runs_on": runs_on,
        "standin": runs_on is not None and runs_on != model.id,
    }


@router.get("/models")
def list_models(studio: StudioDep, _principal: AgentDep) -> dict[str, Any]:
    return {
        "models": [describe(m, studio.settings) for m in registry.MODELS],
        "credit_value_usd": 0.01,
    }
