"""Split a target running time into per-shot clip lengths the video model accepts.

Rules, in order of priority:
1. The total is as close as possible to the target. When a total below and a total
   above are equally close, the one not above the target wins (a shorter cut is
   easier to live with than one that overruns a brief).
2. Among plans with that total, the smallest spread (longest minus shortest clip).
3. Then the smallest sum of squares (the most even split inside that spread).
4. Clips are listed longest first, so the order is deterministic.

Totals are found with bitset dynamic programming (Python ints as bitsets), so
60 shots over any allowed set costs a few thousand shifts, not a search over
combinations.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# Tolerance for check_reachable: a plan may miss the target by this share or one second.
REACH_TOLERANCE_SHARE = 0.10
REACH_TOLERANCE_MIN_SECONDS = 1.0


def _normalise(shot_count: int, allowed: Sequence[int]) -> tuple[int, ...]:
    values = tuple(sorted({int(a) for a in allowed}))
    if shot_count < 1:
        raise ValueError(f"shot_count must be at least 1, got {shot_count}")
    if not values:
        raise ValueError("allowed durations must not be empty")
    if values[0] < 1:
        raise ValueError(f"allowed durations must be positive, got {values[0]}")
    return values


def _reachable(shot_count: int, values: Sequence[int]) -> int:
    """Bitset whose bit t is set when exactly shot_count clips from values sum to t."""
    bits = 1
    for _ in range(shot_count):
        nxt = 0
        for value in values:
            nxt |= bits << value
        bits = nxt
    return bits


def _best_total(bits: int, target: float) -> int:
    """Reachable total closest to target; ties go to the total not above it."""
    totals = [t for t in range(bits.bit_length()) if bits >> t & 1]
    return min(totals, key=lambda t: (abs(t - target), t > target, t))


def closest_total(shot_count: int, target_seconds: float, allowed: Sequence[int]) -> int:
    """The total running time plan_durations will reach for this request."""
    values = _normalise(shot_count, allowed)
    return _best_total(_reachable(shot_count, values), target_seconds)


def _tightest_windows(shot_count: int, total: int, values: Sequence[int]) -> list[tuple[int, ...]]:
    """All value windows of minimal spread that can still make the total."""
    windows = sorted(
        ((hi - lo, lo, hi) for lo in values for hi in values if hi >= lo),
        key=lambda w: (w[0], -w[1]),
    )
    found: list[tuple[int, ...]] = []
    best_spread: int | None = None
    for spread, lo, hi in windows:
        if best_spread is not None and spread > best_spread:
            break
        # Cheap bound first: most windows cannot bracket the mean clip length.
        if not shot_count * lo <= total <= shot_count * hi:
            continue
        inside = tuple(v for v in values if lo <= v <= hi)
        if _reachable(shot_count, inside) >> total & 1:
            best_spread = spread
            found.append(inside)
    return found


def _most_even(shot_count: int, total: int, values: Sequence[int]) -> tuple[int, ...]:
    """Clips from values summing to total with the least sum of squares, longest first."""
    inf = np.iinfo(np.int64).max // 4
    cost = np.full(total + 1, inf, dtype=np.int64)
    cost[0] = 0
    choices = []
    for _ in range(shot_count):
        nxt = np.full(total + 1, inf, dtype=np.int64)
        pick = np.zeros(total + 1, dtype=np.int64)
        # Larger values first so equal costs keep the longer clip (strict < below).
        for value in sorted(values, reverse=True):
            if value > total:
                continue
            candidate = cost[: total + 1 - value] + value * value
            better = candidate < nxt[value:]
            nxt[value:][better] = candidate[better]
            pick[value:][better] = value
        cost = nxt
        choices.append(pick)
    clips = []
    remaining = total
    for pick in reversed(choices):
        clips.append(int(pick[remaining]))
        remaining -= clips[-1]
    return tuple(sorted(clips, reverse=True))


def plan_durations(
    shot_count: int, target_seconds: float, allowed: Sequence[int]
) -> tuple[int, ...]:
    """One allowed duration per shot, totalling as close to the target as possible."""
    values = _normalise(shot_count, allowed)
    total = _best_total(_reachable(shot_count, values), target_seconds)
    candidates = [
        _most_even(shot_count, total, window)
        for window in _tightest_windows(shot_count, total, values)
    ]
    return min(candidates, key=lambda clips: (sum(c * c for c in clips), [-c for c in clips]))


def _format_seconds(seconds: float) -> str:
    return f"{seconds:g}"


def check_reachable(shot_count: int, target_seconds: float, allowed: Sequence[int]) -> str | None:
    """None when the target can be met closely enough, else a message for a 422 answer."""
    try:
        values = _normalise(shot_count, allowed)
    except ValueError as exc:
        return str(exc)
    bits = _reachable(shot_count, values)
    total = _best_total(bits, target_seconds)
    tolerance = max(REACH_TOLERANCE_MIN_SECONDS, REACH_TOLERANCE_SHARE * target_seconds)
    if abs(total - target_seconds) <= tolerance:
        return None
    lowest, highest = shot_count * values[0], shot_count * values[-1]
    clips = "clip" if shot_count == 1 else "clips"
    lengths = "/".join(str(v) for v in values)
    span = f"{lowest} s" if lowest == highest else f"{lowest} to {highest} s"
    target = _format_seconds(target_seconds)
    message = f"{shot_count} {clips} of {lengths} s can total {span}; {target} s is out of reach"
    if lowest <= target_seconds <= highest:
        # Inside the range but between reachable totals (e.g. only 8 s clips).
        message += f" (the closest total is {total} s)"
    return message


def give_length_to(clips: Sequence[int], wanted: Sequence[bool], seconds: int) -> tuple[int, ...]:
    """The same clips in a new order: shots that want `seconds` (a shot filmed from reference
    images must last exactly that) get the clips of that length first, in shot order.

    The multiset of lengths is untouched, so the total, spread and evenness of the plan
    stay what plan_durations chose; only which shot gets which clip changes.
    """
    if len(clips) != len(wanted):
        raise ValueError(f"{len(clips)} clips for {len(wanted)} shots")
    fitting = sum(1 for c in clips if c == seconds)
    chosen = [i for i, want in enumerate(wanted) if want][:fitting]
    others = sorted(clips, reverse=True)
    for _ in chosen:
        others.remove(seconds)
    ordered = [seconds if i in chosen else 0 for i in range(len(clips))]
    for i in (i for i in range(len(clips)) if i not in chosen):
        ordered[i] = others.pop(0)
    return tuple(ordered)
