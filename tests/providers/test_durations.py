"""Clip-length planning: closest total, then the most even split, always allowed values."""

from __future__ import annotations

from itertools import combinations_with_replacement

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fvs.providers.durations import check_reachable, closest_total, plan_durations

allowed_sets = st.lists(st.integers(1, 12), min_size=1, max_size=4, unique=True)


def _reachable_totals(count: int, allowed: list[int]) -> set[int]:
    """Independent oracle: plain set DP over sums."""
    totals = {0}
    for _ in range(count):
        totals = {t + a for t in totals for a in allowed}
    return totals


def _oracle_best(count: int, target: float, allowed: list[int]) -> tuple[int, int, int]:
    """(total, spread, sum of squares) of the best plan by brute force over multisets."""
    plans = list(combinations_with_replacement(sorted(set(allowed)), count))
    total = min({sum(p) for p in plans}, key=lambda t: (abs(t - target), t > target))
    matching = [p for p in plans if sum(p) == total]
    spread = min(max(p) - min(p) for p in matching)
    squares = min(sum(v * v for v in p) for p in matching if max(p) - min(p) == spread)
    return total, spread, squares


@settings(max_examples=300, deadline=None)
@given(count=st.integers(1, 5), target=st.floats(0.5, 70, allow_nan=False), allowed=allowed_sets)
def test_matches_brute_force_oracle_for_small_counts(count, target, allowed):
    clips = plan_durations(count, target, allowed)
    total, spread, squares = _oracle_best(count, target, allowed)
    assert sum(clips) == total == closest_total(count, target, allowed)
    assert max(clips) - min(clips) == spread
    assert sum(c * c for c in clips) == squares
    assert list(clips) == sorted(clips, reverse=True)


@settings(max_examples=150, deadline=None)
@given(
    count=st.integers(1, 40),
    target=st.floats(1, 600, allow_nan=False),
    allowed=st.lists(st.integers(1, 20), min_size=1, max_size=6, unique=True),
)
def test_properties_for_many_shot_counts(count, target, allowed):
    clips = plan_durations(count, target, allowed)
    assert len(clips) == count
    assert set(clips) <= set(allowed)
    assert sum(clips) == closest_total(count, target, allowed)
    best = min(abs(t - target) for t in _reachable_totals(count, allowed))
    assert abs(sum(clips) - target) == best


@settings(max_examples=100, deadline=None)
@given(count=st.integers(1, 40), data=st.data())
def test_even_split_inside_the_reachable_range(count, data):
    target = data.draw(st.integers(4 * count, 8 * count))
    clips = plan_durations(count, target, (4, 6, 8))
    # Any even total in range is made from at most two neighbouring lengths.
    assert max(clips) - min(clips) <= 2
    assert abs(sum(clips) - target) <= 1


@pytest.mark.parametrize(
    ("count", "target", "allowed", "expected"),
    [
        (3, 24, (4, 6, 8), (8, 8, 8)),
        (5, 30, (4, 6, 8), (6, 6, 6, 6, 6)),
        (1, 5, (4, 6, 8), (4,)),  # tie between 4 and 6: the total not above the target wins
        (3, 20, (4, 6, 8), (8, 6, 6)),
        (4, 20, (4, 5, 6), (5, 5, 5, 5)),
        (2, 100, (8,), (8, 8)),
    ],
)
def test_concrete_examples(count, target, allowed, expected):
    assert plan_durations(count, target, allowed) == expected


def test_sixty_shots_over_a_wide_allowed_set():
    clips = plan_durations(60, 333, range(1, 101))  # its speed: bench/bench_local_providers.py
    assert sum(clips) == 333 and max(clips) - min(clips) <= 1


def test_check_reachable_accepts_close_targets():
    assert check_reachable(3, 24, (4, 6, 8)) is None
    assert check_reachable(3, 25, (4, 6, 8)) is None  # 24 is within one second
    assert check_reachable(3, 26.4, (4, 6, 8)) is None  # within 10 % of the target


def test_check_reachable_explains_out_of_range_targets():
    assert check_reachable(3, 100, (4, 6, 8)) == (
        "3 clips of 4/6/8 s can total 12 to 24 s; 100 s is out of reach"
    )
    assert check_reachable(1, 2, (4, 6, 8)) == (
        "1 clip of 4/6/8 s can total 4 to 8 s; 2 s is out of reach"
    )


def test_check_reachable_explains_gaps_between_totals():
    # 2 clips of 8 or 16 s make 16, 24 or 32 s: 20 s sits in the range but in a gap.
    message = check_reachable(2, 20, (8, 16))
    assert message == (
        "2 clips of 8/16 s can total 16 to 32 s; 20 s is out of reach (the closest total is 16 s)"
    )


def test_invalid_inputs():
    assert check_reachable(0, 24, (4, 6, 8)) is not None
    assert check_reachable(3, 24, ()) is not None
    with pytest.raises(ValueError):
        plan_durations(0, 24, (4, 6, 8))
    with pytest.raises(ValueError):
        plan_durations(3, 24, (0, 4))
