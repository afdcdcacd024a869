"""A render's transitions at submit: each cut's kind and length, checked against its shots.

A crossfade or a dip to black overlaps its two shots, so it uses up running time; scene
renders plan their clips that much longer, and custom renders are held to the total
the film will really run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fvs.errors import ValidationFailed
from fvs.media.transitions import Transition, overlap_seconds
from fvs.options import defaults
from fvs.providers import registry
from fvs.renders.schemas import RenderRequest


def render_transition(merged: dict[str, Any], video: registry.ModelInfo) -> Transition:
    """The render's own transition (request over account default), validated."""
    defaults.check_transition(merged, video)
    return Transition(str(merged["transition"]), float(merged["transition_seconds"]))


def compensated_target(target: float, shot_count: int, transition: Transition) -> float:
    """The clip total that, less the overlaps of shot_count - 1 transitions, meets target."""
    return target + overlap_seconds([transition] * (shot_count - 1))


def custom_transitions(
    request: RenderRequest, default: Transition, video: registry.ModelInfo
) -> list[Transition]:
    """Each custom shot's transition into the next, its own or the render's; 422 naming the
    shot whose transition the video model cannot film."""
    chosen = []
    for index, shot in enumerate(request.shots or ()):
        kind = str(shot.transition or default.kind)
        seconds = float(shot.transition_seconds or default.seconds)
        values = {"transition": kind, "transition_seconds": seconds}
        defaults.check_transition(values, video, field=f"shots[{index}].transition")
        chosen.append(Transition(kind, seconds))
    return chosen[:-1]


def check_fits(
    transitions: Sequence[Transition], durations: Sequence[int], field_of: Sequence[str]
) -> None:
    """No transition may last longer than half the shorter of its two shots; 422 naming it."""
    for index, transition in enumerate(transitions):
        if not transition.overlaps:
            continue
        shorter = min(durations[index], durations[index + 1])
        if transition.seconds > shorter / 2:
            raise ValidationFailed(
                field_of[index],
                f"a {transition.seconds:g} s {transition.kind} between shots {index + 1} and "
                f"{index + 2} is longer than half the shorter shot ({shorter} s)",
            )


def delivered_seconds(durations: Sequence[int], transitions: Sequence[Transition]) -> float:
    """How long the film runs: its clips less the overlaps."""
    return sum(durations) - overlap_seconds(transitions)
