"""Each planned shot's transition into the next, and how it will be filmed.

Custom shots keep what their caller set; a planned shot keeps what the planner chose
when it is one of the choices the render's own transition allows (choices that never
change the running time the durations were planned for), and takes the render's
otherwise. A music video cuts on its beats. A continuous cut, with a video model that
can film to a last frame, is filmed from the shot's keyframe to the next shot's.
"""

from __future__ import annotations

from fvs.options.resolved import ResolvedRender
from fvs.providers.base import TRANSITION_CHOICES, Plan, ShotPlan


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
    if shot.filmed_from == "references":
        return "references"
    if kind == "continuous" and not last and render.runs_on("video").last_frame:
        return "keyframe_to_next"
    return "keyframe"


def with_transitions(plan: Plan, render: ResolvedRender) -> Plan:
    """The plan with every shot's transition settled and its filming recorded."""
    shots = []
    count = len(plan.shots)
    for shot in plan.shots:
        last = shot.index == count - 1
        kind, seconds = _chosen(render, shot)
        if not last:
            following = plan.shots[shot.index + 1].duration_seconds
            # Never longer than half the shorter shot (a planner may move seconds around).
            seconds = min(seconds, min(shot.duration_seconds, following) / 2)
        update = {
            "transition": "cut" if last else kind,
            "transition_seconds": seconds,
            "filmed_from": _filmed_from(shot, kind, last, render),
        }
        shots.append(shot.model_copy(update=update))
    return plan.model_copy(update={"shots": tuple(shots)})
