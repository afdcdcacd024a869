from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fvs.media.music import MusicAnalysis, MusicSection
from fvs.providers.beats import (
    CutPlan,
    CutPlanError,
    fewest_shots,
    film_seconds,
    plan_cuts,
    track_end,
)

VEO = (4, 6, 8)


def grid_analysis(
    *,
    bpm: float,
    first: float,
    beats: int,
    tail: float = 0.0,
    phase: int = 0,
    section_bars: tuple[int, ...] = (),
) -> MusicAnalysis:
    period = 60.0 / bpm
    times = [round(first + i * period, 4) for i in range(beats)]
    downbeats = times[phase::4]
    starts = [0.0, *(downbeats[b] for b in section_bars if 0 < b < len(downbeats))]
    duration = times[-1] + tail
    ends = [*starts[1:], duration]
    return MusicAnalysis(
        duration_seconds=duration,
        bpm=bpm,
        beats=times,
        downbeats=downbeats,
        sections=[
            MusicSection(start_seconds=a, end_seconds=b) for a, b in zip(starts, ends, strict=True)
        ],
        onset_strength_hop_seconds=0.0116,
        onset_strength=[],
    )


def assert_well_formed(plan: CutPlan, analysis: MusicAnalysis, allowed: tuple[int, ...]) -> None:
    shots = plan.shots
    assert shots[0].start_seconds == 0.0
    assert shots[-1].end_seconds == plan.end_seconds
    for before, after in zip(shots[:-1], shots[1:], strict=True):
        assert before.end_seconds == after.start_seconds
        assert before.end_seconds in analysis.beats
    for shot in shots:
        length = shot.end_seconds - shot.start_seconds
        assert 0 < length <= max(allowed) + 1e-6
        assert shot.film_seconds in allowed
        assert shot.film_seconds >= length - 1e-6
        assert shot.film_seconds == min(a for a in allowed if a >= length - 1e-6)


def test_the_track_ends_on_the_beat_nearest_the_target() -> None:
    assert track_end([0.3, 0.9, 1.5, 2.1], 2.4, 1.3) == 1.5
    assert track_end([0.3, 0.9, 1.5, 2.1], 2.4, None) == 2.4
    assert track_end([0.3, 0.9, 1.5, 2.1], 2.4, 30.0) == 2.4


def test_film_length_is_the_smallest_that_covers() -> None:
    assert film_seconds(4.95, VEO) == 6
    assert film_seconds(4.0000001, VEO) == 4
    with pytest.raises(CutPlanError):
        film_seconds(8.5, VEO)


def test_three_veo_shots_cut_on_downbeats() -> None:
    analysis = grid_analysis(bpm=97, first=0.3, beats=96, phase=1)
    plan = plan_cuts(analysis, allowed_durations=VEO, target_seconds=20, shot_count=3)
    assert abs(plan.end_seconds - 20) <= 60 / 97 / 2
    assert len(plan.shots) == 3
    assert_well_formed(plan, analysis, VEO)
    assert all(s.end_seconds in analysis.downbeats for s in plan.shots[:-1])
    # 24 s cannot be three clips of at most 8 s cut on this grid: a fourth shot is added.
    longer = plan_cuts(analysis, allowed_durations=VEO, target_seconds=24, shot_count=3)
    assert len(longer.shots) == 4


def test_without_a_count_shots_follow_phrases_and_sections() -> None:
    analysis = grid_analysis(bpm=120, first=0.0, beats=64, tail=0.5, section_bars=(3,))
    plan = plan_cuts(analysis, allowed_durations=VEO)
    assert plan.end_seconds == analysis.duration_seconds
    assert_well_formed(plan, analysis, VEO)
    cuts = {s.end_seconds for s in plan.shots[:-1]}
    assert analysis.sections[1].start_seconds in cuts
    assert cuts <= set(analysis.downbeats)


def test_beats_too_far_apart_are_refused() -> None:
    analysis = grid_analysis(bpm=6, first=0.0, beats=4, tail=1.0)
    with pytest.raises(CutPlanError):
        plan_cuts(analysis, allowed_durations=VEO)


@st.composite
def cases(draw: st.DrawFn) -> tuple[MusicAnalysis, tuple[int, ...], float | None, int | None]:
    bpm = draw(st.floats(60, 180))
    analysis = grid_analysis(
        bpm=bpm,
        first=draw(st.floats(0, 60 / bpm)),
        beats=draw(st.integers(2, 120)),
        tail=draw(st.floats(0, 60 / bpm)),
        phase=draw(st.integers(0, 3)),
        section_bars=tuple(draw(st.lists(st.integers(1, 30), max_size=4))),
    )
    allowed = draw(st.sampled_from([VEO, (5, 10), (2, 3, 4, 5, 6, 7, 8), (8,), (4,)]))
    target = draw(st.none() | st.floats(0.1, analysis.duration_seconds * 1.2 + 0.1))
    count = draw(st.none() | st.integers(1, 25))
    return analysis, allowed, target, count


@settings(max_examples=80, deadline=None)
@given(cases())
def test_plans_are_well_formed(
    case: tuple[MusicAnalysis, tuple[int, ...], float | None, int | None],
) -> None:
    analysis, allowed, target, count = case
    plan = plan_cuts(analysis, allowed_durations=allowed, target_seconds=target, shot_count=count)
    assert_well_formed(plan, analysis, allowed)
    if target is None:
        assert plan.end_seconds == analysis.duration_seconds
    inner = [b for b in analysis.beats if 0 < b < plan.end_seconds]
    fewest = fewest_shots([0.0, *inner, plan.end_seconds], max(allowed))
    assert fewest >= math.ceil(plan.end_seconds / max(allowed) - 1e-9)
    if count is not None and fewest <= count <= len(inner) + 1:
        assert len(plan.shots) == count
