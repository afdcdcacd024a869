"""The Gemini planner's choice of filming a shot from reference images: asked for in the
schema and the prompt only where the video model allows it, and kept only where it fits."""

from __future__ import annotations

from dataclasses import replace

from fvs.providers.base import PlanRequest
from fvs.providers.google.client import make_client
from fvs.providers.google.planner import GeminiPlanner, PlanSchema, ShotSchema, to_plan
from tests.fakes.vertex import FakeVertex

REQUEST = PlanRequest(
    screenplay="Mara walks into the square. She looks up at the bells. The square empties.",
    instructions="Cinematic.",
    shot_count=3,
    target_seconds=20,
    allowed_durations=(4, 6, 8),
)


def _planner(fake: FakeVertex) -> GeminiPlanner:
    return GeminiPlanner("gemini-2.5-flash", make_client(fake.config()), sleep=lambda s: None)


def _sent(fake: FakeVertex) -> tuple[dict, str]:
    [sent] = fake.recorded("generateContent")
    schema = sent.body["generationConfig"]["responseSchema"]["properties"]["shots"]["items"]
    return schema["properties"], sent.body["contents"][0]["parts"][0]["text"]


def test_references_are_offered_with_the_models_length(fake: FakeVertex) -> None:
    plan = _planner(fake).plan(replace(REQUEST, target_seconds=22, reference_seconds=8))
    properties, prompt = _sent(fake)
    assert properties["filmed_from"]["enum"] == ["keyframe", "references"]
    assert "REFERENCE_SECONDS=8" in prompt and "exactly 8 seconds" in prompt
    # The fake answers like a model that follows the prompt: the second shot lasts 8 s
    # and is filmed from references.
    assert [s.duration_seconds for s in plan.shots] == [8, 8, 6]
    assert [s.filmed_from for s in plan.shots] == ["keyframe", "references", "keyframe"]


def test_a_model_without_references_is_never_offered_them(fake: FakeVertex) -> None:
    plan = _planner(fake).plan(REQUEST)
    _, prompt = _sent(fake)
    assert "REFERENCE_SECONDS" not in prompt
    assert 'filmed_from is "keyframe" for every shot' in prompt
    assert {s.filmed_from for s in plan.shots} == {"keyframe"}


def _answer(seconds: list[int], keys: list[list[str]], sources: list[str]) -> PlanSchema:
    shots = [
        ShotSchema(
            text=f"Beat {n}.",
            image_prompt="Mara.",
            video_prompt="Mara walks.",
            camera_move="static",
            duration_seconds=d,
            subject_keys=k,
            filmed_from=f,
        )
        for n, (d, k, f) in enumerate(zip(seconds, keys, sources, strict=True))
    ]
    bible = {
        "subjects": [{"key": "Mara", "description": "a woman", "palette": []}],
        "setting": "a square",
        "palette": [],
        "style": "cinematic",
        "text_overlays_allowed": False,
    }
    return PlanSchema.model_validate({"shots": [s.model_dump() for s in shots], "bible": bible})


def test_choices_the_model_cannot_film_become_keyframes() -> None:
    request = replace(REQUEST, reference_seconds=8)
    answer = _answer(
        [8, 6, 6],
        [["Mara"], ["Mara"], []],
        ["references", "references", "REFERENCES"],
    )
    plan = to_plan(answer, request)
    # 8 s with a subject: kept; 6 s: too short for references; no subject: nothing to film.
    assert [s.filmed_from for s in plan.shots] == ["references", "keyframe", "keyframe"]
    unsupported = to_plan(answer, REQUEST)
    assert {s.filmed_from for s in unsupported.shots} == {"keyframe"}


def test_an_invented_source_is_filmed_from_the_keyframe() -> None:
    answer = _answer([8, 6, 6], [["Mara"]] * 3, ["first_frame", "keyframe", "keyframe"])
    assert answer.shots[0].filmed_from == "keyframe"
