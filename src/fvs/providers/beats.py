"""Beat-aligned cut planning for music mode: pure functions over a track's analysis.

The track ends on the beat nearest the target; every cut between shots is a beat,
downbeats and section changes preferred; no shot is longer than the video model's
longest clip; each shot is filmed at the smallest allowed clip length that covers it.
Cuts are chosen by dynamic programming over the beats, at most one clip length apart,
so a 4-minute track costs a few thousand steps per shot.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from fvs.media.music import MusicAnalysis

EPSILON = 1e-6
BEATS_PER_PHRASE = 16  # four bars of four
# Cost of cutting on a beat, by what the beat is. A section change earns a cut: the
# picture should change when the music does, even if the shots grow uneven.
SECTION_CUT_COST = -0.25
DOWNBEAT_CUT_COST = 0.05
BEAT_CUT_COST = 0.3
SHORT_SHOT_COST = 1.0  # a shot shorter than the shortest clip wastes most of it


class CutPlanError(ValueError):
    """No cut plan exists: the beats are further apart than the longest clip."""


@dataclass(frozen=True)
class PlannedShot:
    index: int
    start_seconds: float
    end_seconds: float
    film_seconds: int  # the clip length to ask the video model for


@dataclass(frozen=True)
class CutPlan:
    end_seconds: float
    shots: tuple[PlannedShot, ...]


def track_end(beats: Sequence[float], duration_seconds: float, target: float | None) -> float:
    """Return where the track is cut: the beat nearest the target, or its whole length."""
    if target is None or target >= duration_seconds:
        return duration_seconds
    candidates = [b for b in beats if 0 < b <= duration_seconds] or [duration_seconds]
    return min(candidates, key=lambda b: (abs(b - target), b))


def film_seconds(length: float, allowed: Sequence[int]) -> int:
    """Return the smallest allowed clip length that covers a shot of this length."""
    fitting = [a for a in sorted(allowed) if a >= length - EPSILON]
    if not fitting:
        raise CutPlanError(f"a {length:.2f} s shot is longer than every allowed clip")
    return fitting[0]


def _cut_costs(analysis: MusicAnalysis, points: list[float]) -> list[float]:
    sections = {round(s.start_seconds, 4) for s in analysis.sections}
    downbeats = {round(d, 4) for d in analysis.downbeats}
    costs = []
    for point in points:
        key = round(point, 4)
        if key in sections:
            costs.append(SECTION_CUT_COST)
        else:
            costs.append(DOWNBEAT_CUT_COST if key in downbeats else BEAT_CUT_COST)
    return costs


@dataclass(frozen=True)
class _Grid:
    """The points a shot may start or end on (0, the inner beats, the end) and their costs."""

    points: list[float]
    costs: list[float]
    ideal: float
    shortest: int
    longest: int

    def shot_cost(self, start: int, end: int) -> float:
        """The cost of one shot from points[start] to points[end], or inf when too long."""
        length = self.points[end] - self.points[start]
        if length > self.longest + EPSILON or length <= EPSILON:
            return math.inf
        cost = ((length - self.ideal) / self.ideal) ** 2 + self.costs[end]
        return cost + (SHORT_SHOT_COST if length < self.shortest - EPSILON else 0.0)

    def predecessors(self, end: int) -> range:
        """The earlier points a shot ending at points[end] may start from."""
        first = end - 1
        while first > 0 and self.points[end] - self.points[first - 1] <= self.longest + EPSILON:
            first -= 1
        return range(first, end)


def _path(back: list[list[int]], last: int, shots: int) -> list[int]:
    path, point = [last], last
    for layer in range(shots, 0, -1):
        point = back[layer][point]
        path.append(point)
    return path[::-1]


def _counted_cuts(grid: _Grid, count: int) -> list[int]:
    """Indices of the chosen points, 0 through the end, for exactly count shots."""
    n = len(grid.points)
    best = [[math.inf] * n for _ in range(count + 1)]
    back = [[-1] * n for _ in range(count + 1)]
    best[0][0] = 0.0
    for shots in range(1, count + 1):
        for end in range(1, n):
            for start in grid.predecessors(end):
                cost = best[shots - 1][start] + grid.shot_cost(start, end)
                if cost < best[shots][end]:
                    best[shots][end], back[shots][end] = cost, start
    if math.isinf(best[count][n - 1]):
        raise CutPlanError("no beat grid keeps every shot within the longest clip")
    return _path(back, n - 1, count)


def _free_cuts(grid: _Grid) -> list[int]:
    """Indices of the chosen points, 0 through the end, with as many shots as fit best."""
    n = len(grid.points)
    best, back = [0.0] + [math.inf] * (n - 1), [-1] * n
    for end in range(1, n):
        for start in grid.predecessors(end):
            cost = best[start] + grid.shot_cost(start, end)
            if cost < best[end]:
                best[end], back[end] = cost, start
    if math.isinf(best[n - 1]):
        raise CutPlanError("no beat grid keeps every shot within the longest clip")
    path = [n - 1]
    while path[-1] > 0:
        path.append(back[path[-1]])
    return path[::-1]


def fewest_shots(points: Sequence[float], longest: float) -> int:
    """The fewest shots no longer than longest that cut only on points (greedy, furthest first)."""
    shots, at = 0, 0
    while at < len(points) - 1:
        reach = at
        while reach + 1 < len(points) and points[reach + 1] - points[at] <= longest + EPSILON:
            reach += 1
        if reach == at:
            raise CutPlanError("the beats are further apart than the longest clip")
        shots, at = shots + 1, reach
    return shots


def _feasible_count(points: list[float], longest: int, wanted: int) -> int:
    return min(max(wanted, fewest_shots(points, longest)), len(points) - 1)


def _phrase_seconds(analysis: MusicAnalysis, longest: int) -> float:
    """One musical phrase (four bars), halved until a clip can hold it."""
    beat = 60.0 / analysis.bpm if analysis.bpm > 0 else 0.5
    phrase = BEATS_PER_PHRASE * beat
    while phrase > longest + EPSILON:
        phrase /= 2
    return phrase


def plan_cuts(
    analysis: MusicAnalysis,
    *,
    allowed_durations: Sequence[int],
    target_seconds: float | None = None,
    shot_count: int | None = None,
) -> CutPlan:
    """Cut the track at the beat nearest the target and share it into shots cut on beats."""
    allowed = sorted({int(a) for a in allowed_durations})
    if not allowed or allowed[0] <= 0:
        raise ValueError("allowed_durations must hold positive clip lengths")
    end = track_end(analysis.beats, analysis.duration_seconds, target_seconds)
    points = [0.0, *(b for b in analysis.beats if EPSILON < b < end - EPSILON), end]
    count = None if shot_count is None else _feasible_count(points, allowed[-1], shot_count)
    ideal = end / count if count else _phrase_seconds(analysis, allowed[-1])
    grid = _Grid(points, _cut_costs(analysis, points), ideal, allowed[0], allowed[-1])
    chosen = _free_cuts(grid) if count is None else _counted_cuts(grid, count)
    shots = tuple(
        PlannedShot(
            index=i,
            start_seconds=points[a],
            end_seconds=points[b],
            film_seconds=film_seconds(points[b] - points[a], allowed),
        )
        for i, (a, b) in enumerate(zip(chosen[:-1], chosen[1:], strict=True))
    )
    return CutPlan(end_seconds=end, shots=shots)
