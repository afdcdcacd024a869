"""Music mode at submit: how long the film will run and what filming to hold credits for.

The beats are measured only at planning, so the submit holds the most filming the
track can need: every shot at the video model's longest clip. Planning settles what
the beat-cut plan really films, and the rest of the hold returns.
"""

from __future__ import annotations

import math

from fvs.errors import ValidationFailed
from fvs.renders.schemas import MAX_SHOTS, RenderRequest

# A composed track's length when the request names no target: one Lyria clip.
COMPOSED_SECONDS = 30.0


def final_seconds(target: float | None, track_seconds: float | None) -> float:
    """How long a music render's film runs: the track, cut at the target when shorter."""
    if track_seconds is None:
        return float(target or COMPOSED_SECONDS)
    return float(min(target, track_seconds) if target else track_seconds)


def hold_durations(
    request: RenderRequest, allowed: tuple[int, ...], track_seconds: float | None
) -> list[int]:
    """Clip lengths to hold credits for: the most shots the track can need, each the longest."""
    if request.shots is not None:
        raise ValidationFailed("shots", "shots are for project_mode custom; music mode cuts them")
    seconds = final_seconds(request.scene_target_duration_seconds, track_seconds)
    longest = max(allowed)
    fewest = math.ceil(seconds / longest - 1e-9)
    if fewest > MAX_SHOTS:
        field = "scene_target_duration_seconds" if track_seconds is None else "audio"
        raise ValidationFailed(
            field,
            f"a {seconds:.0f} s film needs at least {fewest} shots of at most {longest} s; "
            f"the limit is {MAX_SHOTS} shots (set scene_target_duration_seconds to cut the track)",
        )
    # One shot per phrase is at least half a clip long: at most twice the fewest shots.
    count = max(request.shot_count or 0, fewest) if request.shot_count else 2 * fewest
    return [longest] * min(max(count, 1), MAX_SHOTS)
