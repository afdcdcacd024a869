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
from fvs.options import defaults
from fvs.options.resolved import ResolvedRender
from fvs.providers import catalog, registry
from fvs.providers.durations import check_reachable, plan_durations
from fvs.renders.schemas import RenderRequest

SHOT_MARKER = re.compile(r"\bshot\s+\d+\s*[:.\-]", re.IGNORECASE)


def resolve_render(
    request: RenderRequest, *, account_defaults: dict[str, Any], settings: Settings
) -> ResolvedRender:
    """The full, validated settings of a render, ready to store and price."""
    screenplay = request.screenplay.strip()
    if not screenplay:
        raise ValidationFailed("screenplay", "the screenplay must not be empty")
    given = request.model_dump(exclude_none=True)
    merged = {
        **defaults.studio_defaults(settings),
        **defaults.saved_defaults(account_defaults),
        **given,
    }
    models = defaults.require_models(merged)
    merged.update({f: m.id for f, m in models.items()})
    merged["image_resolution"] = str(merged["image_resolution"]).upper()
    defaults.check_model_options(merged, models)
    video = models["video_model"]
    shot_count, target = _shots_and_target(request, screenplay, video.durations)
    problem = check_reachable(shot_count, target, video.durations)
    if problem:
        raise ValidationFailed("scene_target_duration_seconds", problem)
    merged.update(
        name=(request.name or "").strip() or _default_name(screenplay),
        screenplay=screenplay,
        instructions=request.instructions.strip(),
        shot_count=shot_count,
        scene_target_duration_seconds=target,
        planned_durations=list(plan_durations(shot_count, target, video.durations)),
        executions=_executions(models, settings),
    )
    return ResolvedRender.model_validate(merged)


def _executions(models: dict[str, registry.ModelInfo], settings: Settings) -> dict[str, Any]:
    return {
        role: catalog.execution_for(models[field], settings=settings, field_name=field).to_json()
        for field, role in defaults.MODEL_ROLES.items()
    }


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
