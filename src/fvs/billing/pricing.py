"""The one price table in use: what each render stage costs, from the model registry.

Estimates are the most a render can spend; settlement posts what a stage used.
"""

from __future__ import annotations

from typing import Any

from fvs.providers import registry

MAX_SUBJECT_REFERENCES = 4
VOICE_STAGES = ("planning", "storyboarding", "filming", "production")


def _runs_on(settings: dict[str, Any], role: str) -> registry.ModelInfo:
    model = registry.find(settings["executions"][role]["runs_on"])
    assert model is not None
    return model


def planning_credits(settings: dict[str, Any]) -> int:
    return _runs_on(settings, "planner").credits_per_call


def image_credits(settings: dict[str, Any], images: int) -> int:
    price = _runs_on(settings, "image").credits_per_image
    return images * price.get(settings["image_resolution"], max(price.values()))


def filming_credits(settings: dict[str, Any], seconds: int) -> int:
    video = _runs_on(settings, "video")
    resolution = settings["video_resolution"]
    if resolution not in video.resolutions:
        resolution = video.resolutions[-1]
    return video.video_credits(seconds=seconds, resolution=resolution, audio=True)


def voice_brief_credits(settings: dict[str, Any]) -> int:
    return _runs_on(settings, "tts").credits_per_call


def production_credits(seconds: float) -> int:
    return registry.production_credits(seconds)


def estimate(settings: dict[str, Any]) -> dict[str, int]:
    """Credits to hold per stage (plus the creation charge) for resolved render settings."""
    seconds = sum(settings["planned_durations"])
    shots = settings["shot_count"]
    stages = {
        "creation": registry.PROJECT_CREATION_CREDITS,
        "planning": planning_credits(settings),
        "storyboarding": image_credits(settings, shots + MAX_SUBJECT_REFERENCES),
        "filming": filming_credits(settings, seconds),
        "production": production_credits(seconds),
    }
    if settings["stage_voice_briefs_enabled"]:
        for stage in VOICE_STAGES:
            stages[f"voice:{stage}"] = voice_brief_credits(settings)
    return stages
