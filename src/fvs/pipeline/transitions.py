"""Each planned shot's transition into the next, and how it will be filmed.

Custom shots keep what their caller set; a planned shot keeps what the planner chose
when it is one of the choices the render's own transition allows (choices that never
change the running time the durations were planned for), and takes the render's
otherwise. A music video cuts on its beats. A continuous cut, with a video model that
can film to a last frame, is filmed from the shot's keyframe to the next shot's.

Shots filmed from reference images (settled before this, `reference_filming`) keep that:
they have no first frame to flow from and none another shot could flow into, so a
continuous cut into or out of one is a plain cut, and the plan's notes say so.
"""

from __future__ import annotations

from fvs.options.resolved import ResolvedRender
from fvs.providers.base import TRANSITION_CHOICES, Plan, ShotPlan

KEYFRAME = "keyframe"
KEYFRAME_TO_NEXT = "keyframe_to_next"
REFERENCES = "references"


def _chosen(render: ResolvedRender, shot: ShotPlan) -> tuple[str, float]:
    """The kind and length of the shot's transition out, before fitting it to the shots."""
    if render.is_music:
        return "cut", render.transition_seconds
    if render.is_custom and shot.index < len(render.custom_shots):
        own = render.custom_shots[shot.index]
        return (
            own.transition or render.transition,
            own.transition_seconds or render.transition_seconds,
        )
    allowed = TRANSITION_CHOICES.get(render.transition, ("cut",))
    kind = shot.transition if shot.transition in allowed else render.transition
    return kind, render.transition_seconds


def _filmed_from(shot: ShotPlan, kind: str, last: bool, render: ResolvedRender) -> str:
    # A shot the plan films from reference images has no first frame to flow from.
    if shot.filmed_from == REFERENCES:
        return REFERENCES
    if kind == "continuous" and not last and render.runs_on("video").last_frame:
        return KEYFRAME_TO_NEXT
    return KEYFRAME


def _unbroken(plan: Plan, shot: ShotPlan, kind: str) -> tuple[str, str | None]:
    """The kind of a (not last) shot's cut out, and a note when a continuous cut meets a
    shot filmed from references: references win, and the cut is a plain one."""
    following = plan.shots[shot.index + 1]
    if kind != "continuous" or REFERENCES not in (shot.filmed_from, following.filmed_from):
        return kind, None
    which = shot if shot.filmed_from == REFERENCES else following
    note = (
        f"shot {shot.index + 1} cuts to shot {following.index + 1} instead of flowing into "
        f"it: shot {which.index + 1} is filmed from its subjects' reference images, "
        "with no keyframe to flow from or into"
    )
    return "cut", note


def with_transitions(plan: Plan, render: ResolvedRender) -> Plan:
    """The plan with every shot's transition settled and its filming recorded."""
    shots, notes = [], list(plan.notes)
    count = len(plan.shots)
    for shot in plan.shots:
        last = shot.index == count - 1
        kind, seconds = _chosen(render, shot)
        if not last:
            kind, note = _unbroken(plan, shot, kind)
            notes.extend([note] if note else [])
            following = plan.shots[shot.index + 1].duration_seconds
            # Never longer than half the shorter shot (a planner may move seconds around).
            seconds = min(seconds, min(shot.duration_seconds, following) / 2)
        update = {
            "transition": "cut" if last else kind,
            "transition_seconds": seconds,
            "filmed_from": _filmed_from(shot, kind, last, render),
        }
        shots.append(shot.model_copy(update=update))
    return plan.model_copy(update={"shots": tuple(shots), "notes": tuple(notes)})
