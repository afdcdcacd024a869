"""GET /api/agent/models: the registry, and what each model runs on in this studio."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from fvs.config import Settings
from fvs.deps import StudioDep
from fvs.errors import ValidationFailed, error_responses
from fvs.keys.deps import AgentDep
from fvs.providers import catalog, registry, styles
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
            # null: the model makes no frames (planner, voice, music): any shape works with it.
            "aspect_ratios": list(model.aspect_ratios) if model.aspect_ratios else None,
            "audio": model.audio,
            "max_reference_images": model.max_reference_images,
            # Shots filmed from reference images (no first frame) take only these.
            "reference_durations": list(model.reference_durations),
            "reference_aspect_ratios": list(model.reference_aspect_ratios),
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


@router.get(
    "/models",
    summary="The model registry",
    description=(
        "Every model a request may name: role (planner, image, video, tts, music), capabilities "
        "(clip durations, resolutions, aspect ratios), prices in credits, lifecycle and "
        "aliases. `runs_on` is the model that renders it in this studio; `standin: true` "
        "means a local stand-in renders within the named model's limits, at its own price. "
        "`visual_style_presets` lists the values `visual_style_preset` takes, each with the "
        "look it asks for."
    ),
    responses={
        200: {
            "description": "The registry (one model shown).",
            "content": {
                "application/json": {
                    "example": {
                        "models": [
                            {
                                "id": "veo-3.1-fast-generate-001",
                                "provider": "google",
                                "role": "video",
                                "title": "Veo 3.1 Fast",
                                "lifecycle": "ga",
                                "deprecated_on": None,
                                "aliases": ["veo-3.1-fast"],
                                "capabilities": {
                                    "durations": [4, 6, 8],
                                    "resolutions": ["720p", "1080p"],
                                    "aspect_ratios": ["16:9", "9:16"],
                                    "audio": True,
                                    "max_reference_images": 3,
                                    "reference_durations": [8],
                                    "reference_aspect_ratios": ["16:9"],
                                    "image_to_video": True,
                                    "last_frame": True,
                                    "fps": 24,
                                    "image_sizes": [],
                                },
                                "credits": {
                                    "per_call": 0,
                                    "per_image": {},
                                    "per_second": {"720p": 10, "1080p": 10},
                                },
                                "runs_on": "local-animatic",
                                "standin": True,
                            }
                        ],
                        "credit_value_usd": 0.01,
                        "visual_style_presets": [
                            {
                                "id": "noir",
                                "description": "black-and-white film noir, hard low-key "
                                "lighting, deep shadows, high contrast",
                                "default": False,
                            }
                        ],
                    }
                }
            },
        },
        **error_responses(401),
    },
)
def list_models(studio: StudioDep, _principal: AgentDep) -> dict[str, Any]:
    return registry_listing(studio.settings)


def registry_listing(settings: Settings) -> dict[str, Any]:
    """The registry as GET /api/agent/models answers it (and the MCP list_models tool)."""
    return {
        "models": [describe(m, settings) for m in registry.MODELS],
        "credit_value_usd": 0.01,
        "visual_style_presets": [
            {"id": name, "description": text, "default": name == styles.DEFAULT_PRESET}
            for name, text in styles.PRESETS.items()
        ],
    }
