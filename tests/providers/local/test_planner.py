"""The rule-based planner on the product's reference request and on edge cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from fvs.providers.base import CAMERA_MOVES, Plan, PlanRequest
from fvs.providers.local.planner import LocalPlanner, split_beats

SEED = Path("/work/shared/seed/agent-api.txt")
SCREENPLAY = (
    "Shot 1: A young woman enters a glowing archive corridor lined with suspended photographs. "
    "Shot 2: She reaches toward one moving photograph and the corridor bends into a luminous "
    "tunnel around her. Shot 3: She steps through the tunnel and arrives in a sunlit memory "
    "chamber as the photographs orbit overhead."
)
INSTRUCTIONS = (
    "Create exactly three cinematic shots totaling about 24 seconds. Keep the subject visually "
    "consistent across all shots. Favor strong camera motion, realistic lighting, and clean "
    "transitions. No subtitles or text overlays."
)


def _request(
    screenplay: str = SCREENPLAY,
    instructions: str = INSTRUCTIONS,
    shots: int = 3,
    seconds: float = 24,
    **extra,
) -> PlanRequest:
    return PlanRequest(
        screenplay=screenplay,
        instructions=instructions,
        shot_count=shots,
        target_seconds=seconds,
        allowed_durations=(4, 6, 8),
        **extra,
    )


@pytest.fixture(scope="module")
def reference_plan() -> Plan:
    if SEED.exists():
        # Read the request straight from the seed so the test follows the product's example.
        payload = json.loads(SEED.read_text().split("request_json", 1)[1].split("response")[0])
        assert payload["screenplay"] == SCREENPLAY
        assert payload["instructions"] == INSTRUCTIONS
    return LocalPlanner().plan(_request())


def test_reference_shots_follow_the_markers(reference_plan):
    texts = [shot.text for shot in reference_plan.shots]
    assert texts[0].startswith("A young woman enters a glowing archive corridor")
    assert texts[1].startswith("She reaches toward one moving photograph")
    assert texts[2].startswith("She steps through the tunnel")
    assert [s.index for s in reference_plan.shots] == [0, 1, 2]
    assert all("Shot" not in t for t in texts)


def test_reference_durations_and_camera(reference_plan):
    assert [s.duration_seconds for s in reference_plan.shots] == [8, 8, 8]
    moves = [s.camera_move for s in reference_plan.shots]
    assert all(m in CAMERA_MOVES and m != "static" for m in moves)
    assert all(a != b for a, b in zip(moves, moves[1:], strict=False))
    assert moves[0] == "push_in"  # "enters"


def test_reference_bible(reference_plan):
    bible = reference_plan.bible
    assert [s.key for s in bible.subjects] == ["young-woman"]
    woman = bible.subjects[0]
    assert woman.description == "a young woman"
    assert 2 <= len(woman.palette) <= 3
    assert all(shot.subject_keys == ("young-woman",) for shot in reference_plan.shots)
    assert all(woman.description in shot.image_prompt for shot in reference_plan.shots)
    assert bible.text_overlays_allowed is False
    assert bible.setting == "glowing archive corridor"
    assert 3 <= len(bible.palette) <= 5
    assert "cinematic" in bible.style and "realistic lighting" in bible.style


def test_image_prompts_lead_with_each_shots_place(reference_plan):
    prompts = [s.image_prompt.lower() for s in reference_plan.shots]
    assert prompts[0].startswith("glowing archive corridor")
    assert prompts[1].startswith("luminous tunnel")
    assert prompts[2].startswith("sunlit memory chamber")


def test_sentences_split_without_markers():
    plan = LocalPlanner().plan(
        _request(
            "A fox waits by the river. It leaps across the stones! "
            "The fox vanishes into the forest.",
            instructions="Moody and cinematic.",
        )
    )
    assert [s.text for s in plan.shots] == [
        "A fox waits by the river.",
        "It leaps across the stones!",
        "The fox vanishes into the forest.",
    ]
    assert [s.key for s in plan.bible.subjects] == ["fox"]
    assert all(s.subject_keys == ("fox",) for s in plan.shots)


@pytest.mark.parametrize("shots", [1, 2, 5, 7, 12])
def test_any_shot_count_gives_non_empty_beats(shots):
    plan = LocalPlanner().plan(_request(shots=shots, seconds=6 * shots))
    assert len(plan.shots) == shots
    assert all(s.text.strip() for s in plan.shots)
    moves = [s.camera_move for s in plan.shots]
    assert all(a != b for a, b in zip(moves, moves[1:], strict=False))


def test_fewer_beats_split_at_clauses_then_continue():
    beats = split_beats("A man walks into the rain, and he looks up at the tower.", 3)
    assert beats[:2] == ["A man walks into the rain.", "He looks up at the tower."]
    assert beats[2].startswith("He looks up at the tower.") and "continued" in beats[2]


def test_more_beats_than_shots_merge_evenly():
    beats = split_beats("One. Two. Three. Four. Five.", 2)
    assert beats == ["One. Two. Three.", "Four. Five."]


def test_empty_screenplay_still_gives_beats():
    assert all(b.strip() for b in split_beats("   ", 2))


def test_overlays_only_when_asked():
    planner = LocalPlanner()
    assert planner.plan(
        _request(instructions="Add captions to every shot.")
    ).bible.text_overlays_allowed
    assert not planner.plan(_request(instructions="Be cinematic.")).bible.text_overlays_allowed
    assert not planner.plan(
        _request(instructions="Do not add any titles.")
    ).bible.text_overlays_allowed


def test_reference_image_colours_become_the_subject_palette(tmp_path):
    image = tmp_path / "ref.png"
    Image.new("RGB", (32, 32), (200, 30, 40)).save(image)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image")
    plan = LocalPlanner().plan(_request(reference_images=(broken, image)))
    assert plan.bible.subjects[0].palette[0] == "#c81e28"


def test_plan_is_deterministic_and_round_trips_json():
    first, second = LocalPlanner().plan(_request()), LocalPlanner().plan(_request())
    assert first == second
    data = json.loads(json.dumps(first.model_dump(mode="json")))
    assert Plan.model_validate(data) == first
