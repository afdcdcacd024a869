"""The local planner's rule for filming from reference images: a shot that shows a subject,
when the video model films references at the shot's length; never otherwise."""

from __future__ import annotations

from fvs.providers.base import PlanRequest
from fvs.providers.local.planner import LocalPlanner

SCREENPLAY = (
    "Shot 1: A quiet harbor at dawn, boats rocking. "
    "Shot 2: Mara, a fisherwoman, hauls her net. "
    "Shot 3: Gulls wheel over the empty water. "
    "Shot 4: Mara smiles at the catch."
)


def _request(**changes: object) -> PlanRequest:
    values: dict = {
        "screenplay": SCREENPLAY,
        "instructions": "Cinematic.",
        "shot_count": 4,
        "target_seconds": 28,
        "allowed_durations": (4, 6, 8),
    }
    return PlanRequest(**(values | changes))


def test_subject_shots_get_the_reference_length_and_are_filmed_from_references() -> None:
    plan = LocalPlanner().plan(_request(reference_seconds=8))
    subject_shots = [s.index for s in plan.shots if s.subject_keys]
    assert subject_shots == [1, 3]
    assert [s.duration_seconds for s in plan.shots] == [6, 8, 6, 8]
    assert [s.filmed_from for s in plan.shots] == ["keyframe", "references"] * 2
    # The reassignment keeps the total the duration rule chose.
    assert plan.total_seconds == sum(
        LocalPlanner().plan(_request()).shots[i].duration_seconds for i in range(4)
    )


def test_no_reference_support_means_every_shot_from_its_keyframe() -> None:
    plan = LocalPlanner().plan(_request())
    assert {s.filmed_from for s in plan.shots} == {"keyframe"}
    assert [s.duration_seconds for s in plan.shots] == [8, 8, 6, 6]


def test_fixed_lengths_are_kept_and_only_reference_length_shots_qualify() -> None:
    plan = LocalPlanner().plan(_request(reference_seconds=8, shot_durations=(8, 6, 6, 6)))
    assert [s.duration_seconds for s in plan.shots] == [8, 6, 6, 6]
    # Shot 2 shows Mara but lasts 6 s; shot 1 lasts 8 s but shows no subject.
    assert {s.filmed_from for s in plan.shots} == {"keyframe"}
