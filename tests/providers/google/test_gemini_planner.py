"""GeminiPlanner through the real SDK against the fake: schema, retries and repairs."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from fvs.providers.base import CAMERA_MOVES, PlanRequest
from fvs.providers.durations import closest_total
from fvs.providers.google.client import make_client
from fvs.providers.google.planner import GeminiPlanner, PlanningFailed, slugify
from tests.fakes.vertex import FakeVertex
from tests.fakes.vertex_media import png_bytes

REQUEST = PlanRequest(
    screenplay="A red fox walks into a snowy forest. It looks up at the falling snow.",
    instructions="Cinematic, no text.",
    shot_count=3,
    target_seconds=16,
    allowed_durations=(4, 6, 8),
)


def _planner(fake: FakeVertex) -> GeminiPlanner:
    return GeminiPlanner("gemini-2.5-flash", make_client(fake.config()), sleep=lambda s: None)


def test_plan_asks_for_json_with_a_schema_and_respects_the_durations(fake: FakeVertex) -> None:
    plan = _planner(fake).plan(REQUEST)
    [sent] = fake.recorded("generateContent")
    generation = sent.body["generationConfig"]
    assert generation["responseMimeType"] == "application/json"
    schema = generation["responseSchema"]["properties"]["shots"]["items"]["properties"]
    assert schema["camera_move"]["enum"] == list(CAMERA_MOVES)
    prompt = sent.body["contents"][0]["parts"][0]["text"]
    assert "SHOT_COUNT=3" in prompt and "ALLOWED_DURATIONS=4,6,8" in prompt
    assert len(plan.shots) == 3 and [s.index for s in plan.shots] == [0, 1, 2]
    assert all(s.duration_seconds in (4, 6, 8) for s in plan.shots)
    assert plan.total_seconds == closest_total(3, 16, (4, 6, 8))
    # The model called its subject "Red Fox" and gave no colours.
    [subject] = plan.bible.subjects
    assert subject.key == "red-fox" and len(subject.palette) == 3
    assert all(s.subject_keys == ("red-fox",) for s in plan.shots)


def test_the_schema_asks_for_exactly_the_shot_count(fake: FakeVertex) -> None:
    _planner(fake).plan(replace(REQUEST, shot_count=5, target_seconds=30))
    [sent] = fake.recorded("generateContent")
    shots = sent.body["generationConfig"]["responseSchema"]["properties"]["shots"]
    # The SDK writes the bounds in the schema's own snake_case, as Vertex reads them.
    assert (shots["min_items"], shots["max_items"]) == (5, 5)


def test_unfilmable_durations_are_rejected_and_asked_for_again(fake: FakeVertex) -> None:
    fake.break_next_plans("bad_durations")
    plan = _planner(fake).plan(REQUEST)
    assert len(fake.recorded("generateContent")) == 2
    assert plan.total_seconds == closest_total(3, 16, (4, 6, 8))
    [note] = plan.notes
    assert "attempt 1 rejected: durations [9, 9, 9] are not all among" in note


def test_durations_unfit_every_time_are_repaired_with_a_note(fake: FakeVertex) -> None:
    fake.break_next_plans("bad_durations", "bad_durations", "bad_durations")
    plan = _planner(fake).plan(REQUEST)
    assert len(fake.recorded("generateContent")) == 3
    assert sorted(s.duration_seconds for s in plan.shots) == [4, 6, 6]
    assert "fitted by the studio's rule" in plan.notes[-1] and len(plan.notes) == 4


def test_broken_json_is_asked_for_again(fake: FakeVertex) -> None:
    fake.break_next_plans("broken_json", "wrong_count")
    plan = _planner(fake).plan(REQUEST)
    assert len(fake.recorded("generateContent")) == 3
    assert len(plan.shots) == 3


def test_three_unusable_answers_raise_a_clear_error(fake: FakeVertex) -> None:
    fake.break_next_plans("broken_json", "wrong_count", "broken_json")
    with pytest.raises(PlanningFailed, match=r"gemini-2.5-flash .*4 shots instead of 3"):
        _planner(fake).plan(REQUEST)
    assert len(fake.recorded("generateContent")) == 3


def test_unknown_camera_moves_become_push_in(fake: FakeVertex) -> None:
    fake.break_next_plans("odd_moves")
    plan = _planner(fake).plan(REQUEST)
    assert {s.camera_move for s in plan.shots} == {"push_in"}


def test_quota_errors_are_retried(fake: FakeVertex) -> None:
    fake.fail_next("generateContent", status=429)
    assert len(_planner(fake).plan(REQUEST).shots) == 3
    assert len(fake.recorded("generateContent")) == 2


def test_reference_images_go_to_the_model(fake: FakeVertex, tmp_path: Path) -> None:
    photo = tmp_path / "fox.png"
    photo.write_bytes(png_bytes(64, 36))
    _planner(fake).plan(replace(REQUEST, reference_images=(photo,)))
    parts = fake.recorded("generateContent")[0].body["contents"][0]["parts"]
    assert [p.get("inlineData", {}).get("mime_type") for p in parts[1:]] == [None, "image/png"]


def test_slugify() -> None:
    assert slugify("  Young Woman (lead)! ") == "young-woman-lead"


def test_the_visual_style_preset_is_in_the_planning_prompt(fake: FakeVertex) -> None:
    _planner(fake).plan(replace(REQUEST, style_preset="watercolor"))
    prompt = fake.recorded("generateContent")[0].body["contents"][0]["parts"][0]["text"]
    assert "VISUAL_STYLE=watercolor" in prompt and "watercolour illustration" in prompt


def test_the_plan_chooses_each_cut_among_the_render_s_choices(fake: FakeVertex) -> None:
    request = replace(REQUEST, transition="crossfade", transition_seconds=0.8)
    plan = _planner(fake).plan(request)
    [sent] = fake.recorded("generateContent")
    prompt = sent.body["contents"][0]["parts"][0]["text"]
    assert "TRANSITIONS=crossfade,dip_to_black" in prompt
    schema = sent.body["generationConfig"]["responseSchema"]["properties"]["shots"]["items"]
    assert "transition" in schema["properties"]
    # "Dip to black" is read as dip_to_black; "wipe", not a choice, becomes the render's.
    assert [s.transition for s in plan.shots] == ["dip_to_black", "crossfade", "crossfade"]
    assert {s.transition_seconds for s in plan.shots} == {0.8}


def test_a_render_without_a_choice_keeps_its_transition(fake: FakeVertex) -> None:
    plan = _planner(fake).plan(replace(REQUEST, transition="continuous"))
    [sent] = fake.recorded("generateContent")
    assert "TRANSITION=continuous" in sent.body["contents"][0]["parts"][0]["text"]
    assert {s.transition for s in plan.shots} == {"continuous"}
