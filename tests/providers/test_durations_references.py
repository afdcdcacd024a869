"""Shots filmed from reference images must last the model's reference length (Veo 3.1: 8 s):
the duration planner gives those shots the plan's clips of that length, total unchanged."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from fvs.providers.durations import give_length_to, plan_durations


def test_wanting_shots_get_the_reference_length_first() -> None:
    clips = plan_durations(4, 28, (4, 6, 8))
    assert sorted(clips) == [6, 6, 8, 8]
    assert give_length_to(clips, [False, True, False, True], 8) == (6, 8, 6, 8)


def test_more_wanting_shots_than_clips_of_that_length() -> None:
    # Only one 8 s clip: the first shot that wants it gets it, the next keeps a 6 s clip.
    assert give_length_to((8, 6, 6, 6), [False, True, False, True], 8) == (6, 8, 6, 6)


def test_nothing_wanted_keeps_longest_first() -> None:
    assert give_length_to((10, 8, 6), [False, False, False], 8) == (10, 8, 6)


@given(
    clips=st.lists(st.sampled_from((2, 4, 6, 8, 10)), min_size=1, max_size=12),
    data=st.data(),
)
def test_the_clips_are_only_reordered(clips: list[int], data: st.DataObject) -> None:
    wanted = data.draw(st.lists(st.booleans(), min_size=len(clips), max_size=len(clips)))
    ordered = give_length_to(clips, wanted, 8)
    assert sorted(ordered) == sorted(clips)
    eights = clips.count(8)
    wanting = [i for i, w in enumerate(wanted) if w]
    # Every wanting shot gets 8 s while 8 s clips last, in shot order.
    assert all(ordered[i] == 8 for i in wanting[:eights])
