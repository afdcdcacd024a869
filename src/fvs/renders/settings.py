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
from fvs.media.transitions import CUT, Transition
from fvs.options import defaults
from fvs.options.resolved import ResolvedRender
from fvs.providers import catalog, registry
from fvs.providers.durations import check_reachable, plan_durations
from fvs.renders import music, transitions
from fvs.renders.schemas import RenderRequest
from fvs.renders.uploads import safe_filename

SHOT_MARKER = re.compile(r"\bshot\s+\d+\s*[:.\-]", re.IGNORECASE)


MUSIC_FIELDS = ("lyrics", "music_model", "clip_audio")


def ignored_fields_note(request: RenderRequest, mode: str) -> str | None:
    """A note naming the music-only fields a scene or custom render received and ignores."""
    given = [f for f in MUSIC_FIELDS if getattr(request, f) is not None]
    if mode == "music" or not given:
        return None
    return f"{', '.join(given)} ignored: only project_mode music uses them"


def resolve_render(
    request: RenderRequest,
    *,
    account_defaults: dict[str, Any],
    settings: Settings,
    track_seconds: float | None = None,
    track_upload: str | None = None,
) -> ResolvedRender:
    """The full, validated settings of a render, ready to store and price.

    track_upload and track_seconds are a music render's uploaded track (its stored file
    name) and its length; None when the studio will compose one.
    """
    given = request.model_dump(exclude_none=True, exclude={"shots", "assets"})
    merged = {
        **defaults.studio_defaults(settings),
        **defaults.saved_defaults(account_defaults),
        **given,
    }
    mode = merged["project_mode"]
    screenplay = request.screenplay.strip()
    if not screenplay and mode == "scene":
        raise ValidationFailed("screenplay", "the screenplay must not be empty")
    if mode == "music" and not (screenplay or request.instructions.strip() or request.lyrics):
        raise ValidationFailed(
            "screenplay", "a music render needs a screenplay, instructions or lyrics to film"
        )
    models = defaults.require_models(merged)
    merged.update({f: m.id for f, m in models.items()})
    merged["image_resolution"] = str(merged["image_resolution"]).upper()
    defaults.check_model_options(merged, models)
    video = models["video_model"]
    # A music video cuts on the beats; its transitions are hard cuts.
    transition = CUT if mode == "music" else transitions.render_transition(merged, video)
    if mode == "custom":
        durations = custom_durations(request, video, transition)
    elif mode == "music":
        durations = music.hold_durations(request, video.durations, track_seconds)
    else:
        durations = _scene_durations(request, screenplay, video.durations, transition)
    target = _target(request, durations, mode, track_seconds, (transition, video))
    merged.update(
        transition=transition.kind,
        transition_seconds=transition.seconds,
        name=(request.name or "").strip() or _default_name(screenplay or _first_prompt(request)),
        screenplay=screenplay,
        instructions=request.instructions.strip(),
        shot_count=len(durations),
        scene_target_duration_seconds=target,
        planned_durations=durations,
        executions=_executions(models, settings),
        custom_shots=[
            {**s.model_dump(), "assets": [safe_filename(n) for n in s.assets]}
            for s in request.shots or ()
        ],
        assets=[{**a.model_dump(), "filename": safe_filename(a.filename)} for a in request.assets],
        requested_shot_count=request.shot_count,
        # Scene and custom films keep their clips' sound: nothing plays over them.
        clip_audio=(request.clip_audio or "mute") if mode == "music" else "keep",
        lyrics=(request.lyrics or "").strip(),
        track_upload=track_upload if mode == "music" else None,
    )
    return ResolvedRender.model_validate(merged)


def _target(
    request: RenderRequest,
    durations: list[int],
    mode: str,
    track_seconds: float | None,
    cuts: tuple[Transition, registry.ModelInfo],
) -> float:
    """How long the film should run: the target, else the track (music), else the shots
    less the overlaps of their transitions."""
    if mode == "music":
        return music.final_seconds(request.scene_target_duration_seconds, track_seconds)
    if request.scene_target_duration_seconds:
        return float(request.scene_target_duration_seconds)
    transition, video = cuts
    if mode == "custom":
        chosen = transitions.custom_transitions(request, transition, video)
    else:
        chosen = [transition] * (len(durations) - 1)
    return transitions.delivered_seconds(durations, chosen)


def _scene_durations(
    request: RenderRequest, screenplay: str, durations: tuple[int, ...], transition: Transition
) -> list[int]:
    """The planned durations of a scene render, from its shot count and target: longer by
    the overlaps of its transitions, so the film still meets the target."""
    if request.shots is not None:
        raise ValidationFailed("shots", "shots are for project_mode custom; scene mode plans them")
    shot_count, target = _shots_and_target(request, screenplay, durations)
    clips = transitions.compensated_target(target, shot_count, transition)
    problem = check_reachable(shot_count, clips, durations)
    if problem:
        raise ValidationFailed("scene_target_duration_seconds", problem)
    planned = list(plan_durations(shot_count, clips, durations))
    field = "transition" if transition.kind == "continuous" else "transition_seconds"
    transitions.check_fits([transition] * (shot_count - 1), planned, [field] * shot_count)
    return planned


def custom_durations(
    request: RenderRequest, video: registry.ModelInfo, transition: Transition = CUT
) -> list[int]:
    """The durations of a custom render's shots; 422 naming the shot the video model refuses,
    or the transition too long for its shots."""
    if not request.shots:
        raise ValidationFailed("shots", "project_mode custom needs a list of shots")
    durations = [shot.duration_seconds for shot in request.shots]
    for index, seconds in enumerate(durations):
        if seconds not in video.durations:
            raise ValidationFailed(
                f"shots[{index}].duration_seconds",
                f"{video.id} films clips of {', '.join(map(str, video.durations))} s; "
                f"not {seconds}",
            )
    if request.shot_count is not None and request.shot_count != len(durations):
        raise ValidationFailed(
            "shot_count", f"shot_count {request.shot_count} disagrees with {len(durations)} shots"
        )
    chosen = transitions.custom_transitions(request, transition, video)
    transitions.check_fits(chosen, durations, _seconds_fields(request))
    target = request.scene_target_duration_seconds
    total = transitions.delivered_seconds(durations, chosen)
    if target is not None and abs(target - total) > 0.5:
        raise ValidationFailed(
            "scene_target_duration_seconds",
            f"the shots total {total:g} s less their transitions, not the target {target:g} s",
        )
    return durations


def _seconds_fields(request: RenderRequest) -> list[str]:
    """The field each custom shot's transition length came from."""
    return [
        f"shots[{i}].transition_seconds" if shot.transition_seconds else "transition_seconds"
        for i, shot in enumerate(request.shots or ())
    ]


def _first_prompt(request: RenderRequest) -> str:
    return request.shots[0].prompt if request.shots else ""


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
