"""Resolve a render request: request fields over account defaults over the studio's.

The result is validated against the model registry and stored on the project,
so a render always knows exactly what it was asked to do.
"""

from __future__ import annotations

import math
import re
from typing import Any

from fvs.config import Settings
from fvs.errors import ValidationFailed
from fvs.providers import catalog, registry
from fvs.providers.local.durations import check_reachable, plan_durations
from fvs.renders.schemas import RenderRequest

STUDIO_DEFAULTS: dict[str, Any] = {
    "project_mode": "scene",
    "video_model": "local-animatic",
    "video_resolution": "720p",
    "image_resolution": "1K",
    "aspect_ratio": "16:9",
    "stage_voice_briefs_enabled": False,
    "planner_model": "local-planner",
    "image_model": "local-painter",
    "tts_model": "local-espeak",
    # run_all, or halt_for_review: stop after storyboarding until the user approves.
    "stage_behaviour": "run_all",
}
STAGE_BEHAVIOURS = ("run_all", "halt_for_review")
# With Google credentials, the studio's own defaults are the real models.
GOOGLE_DEFAULTS = {
    "video_model": "veo-3.1-fast-generate-001",
    "planner_model": "gemini-2.5-flash",
    "image_model": "gemini-3-pro-image-preview",
    "tts_model": "gemini-2.5-flash-preview-tts",
}


def studio_defaults(settings: Settings) -> dict[str, Any]:
    """The studio's defaults: local models, or Google's where Google is configured."""
    return {**STUDIO_DEFAULTS, **(GOOGLE_DEFAULTS if settings.google_configured else {})}


# Fields an account may save as its defaults.
DEFAULTABLE = tuple(STUDIO_DEFAULTS)
SHOT_MARKER = re.compile(r"\bshot\s+\d+\s*[:.\-]", re.IGNORECASE)
ROLES = {
    "planner_model": "planner",
    "image_model": "image",
    "video_model": "video",
    "tts_model": "tts",
}


def resolve_render(
    request: RenderRequest, *, account_defaults: dict[str, Any], settings: Settings
) -> dict[str, Any]:
    """The full, validated settings of a render, ready to store and price."""
    screenplay = request.screenplay.strip()
    if not screenplay:
        raise ValidationFailed("screenplay", "the screenplay must not be empty")
    given = request.model_dump(exclude_none=True)
    merged = {**studio_defaults(settings), **_known(account_defaults), **given}
    models = {f: registry.require(merged[f], role=role, field_name=f) for f, role in ROLES.items()}
    video = models["video_model"]
    merged.update({f: m.id for f, m in models.items()})
    merged["image_resolution"] = str(merged["image_resolution"]).upper()
    _check_choice("video_resolution", merged["video_resolution"], video.resolutions, video.id)
    _check_choice("aspect_ratio", merged["aspect_ratio"], video.aspect_ratios, video.id)
    _check_choice(
        "image_resolution",
        merged["image_resolution"],
        tuple(models["image_model"].credits_per_image),
        models["image_model"].id,
    )
    shot_count, target = _shots_and_target(request, screenplay, video.durations)
    problem = check_reachable(shot_count, target, video.durations)
    if problem:
        raise ValidationFailed("scene_target_duration_seconds", problem)
    executions = {
        role: catalog.execution_for(models[f], settings=settings, field_name=f)
        for f, role in ROLES.items()
    }
    merged.update(
        name=(request.name or "").strip() or _default_name(screenplay),
        screenplay=screenplay,
        instructions=request.instructions.strip(),
        shot_count=shot_count,
        scene_target_duration_seconds=target,
        planned_durations=list(plan_durations(shot_count, target, video.durations)),
        executions={role: e.to_json() for role, e in executions.items()},
    )
    merged.pop("wait_for_completion_seconds", None)
    return merged


def validate_defaults(values: dict[str, Any]) -> dict[str, Any]:
    """Account defaults checked against the registry; 422 naming the first bad field."""
    unknown = sorted(set(values) - set(DEFAULTABLE))
    if unknown:
        raise ValidationFailed(
            unknown[0], f"not an account default; known: {', '.join(DEFAULTABLE)}"
        )
    merged = {**STUDIO_DEFAULTS, **{k: v for k, v in values.items() if v is not None}}
    for field, value in merged.items():
        expected = bool if field == "stage_voice_briefs_enabled" else str
        if not isinstance(value, expected):
            raise ValidationFailed(field, f"must be a {expected.__name__}")
    models = {f: registry.require(merged[f], role=role, field_name=f) for f, role in ROLES.items()}
    video, image = models["video_model"], models["image_model"]
    _check_choice("video_resolution", merged["video_resolution"], video.resolutions, video.id)
    _check_choice("aspect_ratio", merged["aspect_ratio"], video.aspect_ratios, video.id)
    _check_choice(
        "image_resolution", merged["image_resolution"], tuple(image.credits_per_image), image.id
    )
    _check_choice("project_mode", merged["project_mode"], ("scene",), "the studio")
    _check_choice("stage_behaviour", merged["stage_behaviour"], STAGE_BEHAVIOURS, "the studio")
    return {k: (models[k].id if k in models else v) for k, v in values.items() if v is not None}


def _known(defaults: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in defaults.items() if k in DEFAULTABLE and v is not None}


def _check_choice(field: str, value: str, allowed: tuple[str, ...], model_id: str) -> None:
    if value not in allowed:
        raise ValidationFailed(field, f"{model_id} offers {', '.join(allowed)}; not {value!r}")


def _shots_and_target(
    request: RenderRequest, screenplay: str, durations: tuple[int, ...]
) -> tuple[int, float]:
    target = request.scene_target_duration_seconds
    shot_count = request.shot_count
    if shot_count is None:
        markers = len(SHOT_MARKER.findall(screenplay))
        if markers:
            shot_count = markers
        elif target is not None:
            shot_count = max(1, math.ceil(target / max(durations)))
        else:
            shot_count = 3
    if target is None:
        # About eight seconds a shot, the length Veo films best.
        target = float(shot_count * min(durations, key=lambda d: abs(d - 8)))
    return shot_count, float(target)


def _default_name(screenplay: str) -> str:
    first = re.split(r"(?<=[.!?])\s", SHOT_MARKER.sub("", screenplay).strip(), maxsplit=1)[0]
    return first[:60].strip() or "Untitled render"
