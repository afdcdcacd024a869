"""Recurring subjects beyond the planner's noun list, and what it makes of reference images."""

from __future__ import annotations

import pytest
from PIL import Image

from fvs.providers.base import Plan, PlanRequest
from fvs.providers.local.painter import is_person
from fvs.providers.local.planner import LocalPlanner


def plan(screenplay: str, shots: int = 3, images: tuple = ()) -> Plan:
    return LocalPlanner().plan(
        PlanRequest(
            screenplay=screenplay,
            instructions="",
            shot_count=shots,
            target_seconds=8 * shots,
            allowed_durations=(4, 6, 8),
            reference_images=images,
        )
    )


def image(tmp_path, name: str, colour: tuple[int, int, int]):
    path = tmp_path / name
    Image.new("RGB", (32, 32), colour).save(path)
    return path


def test_a_named_character_is_a_recurring_subject_drawn_as_a_person():
    made = plan("Mara waits on a rainy platform.")
    [mara] = made.bible.subjects
    assert (mara.key, mara.description) == ("mara", "Mara, a person")
    assert is_person(mara)  # the painter draws a figure, not a shape
    assert all(s.subject_keys == ("mara",) for s in made.shots)


def test_an_article_phrase_with_adjectives_and_clothes_is_a_subject():
    made = plan("An old lighthouse keeper in a red coat climbs the stairs.")
    [keeper] = made.bible.subjects
    assert keeper.key == "old-lighthouse-keeper"
    assert keeper.description == "an old lighthouse keeper in a red coat"
    assert is_person(keeper)
    assert plan("A red fox sleeps under a tree.", shots=2).bible.subjects[0].key == "red-fox"


def test_an_unknown_noun_that_acts_is_a_subject():
    made = plan("A tired ferryman poles across the river. The ferryman sings softly.", shots=2)
    assert [s.key for s in made.bible.subjects] == ["tired-ferryman"]
    assert all(s.subject_keys == ("tired-ferryman",) for s in made.shots)


def test_a_name_and_its_description_are_one_subject():
    made = plan("Mara, a young woman, runs for the train. The woman stops. She looks back.")
    [mara] = made.bible.subjects
    assert mara.description == "Mara, a young woman"
    assert [s.subject_keys for s in made.shots] == [("mara",)] * 3


@pytest.mark.parametrize(
    "screenplay",
    [
        "Rain falls on the city. The wind howls. Night comes.",  # sentence openers, not names
        "Shot 1: Rain falls in Paris. Shot 2: Dawn breaks over Paris.",  # a place, not a person
        "The camera follows the tracks. The camera stops.",  # the camera is not in the scene
    ],
)
def test_capitalised_openers_places_and_the_camera_are_not_subjects(screenplay):
    assert plan(screenplay, shots=2).bible.subjects == ()


def test_a_reference_image_dresses_the_first_subject(tmp_path):
    red = image(tmp_path, "mara.png", (200, 30, 40))
    made = plan("Mara waits on a rainy platform.", images=(red,))
    assert made.bible.subjects[0].palette[0] == "#c81e28"
    [use] = made.reference_uses
    assert (use.index, use.used_as) == (0, "subject reference for Mara")


def test_without_a_subject_the_image_sets_the_style_palette(tmp_path):
    teal = image(tmp_path, "look.png", (20, 120, 130))
    without = plan("Rain falls on an empty street. Night comes.", shots=2)
    made = plan("Rain falls on an empty street. Night comes.", shots=2, images=(teal,))
    assert made.bible.subjects == ()
    assert "#147882" in made.bible.palette and made.bible.palette != without.bible.palette
    assert len(made.bible.palette) >= 3  # one flat image still gets a dark and a light
    [use] = made.reference_uses
    assert use.used_as == "style palette"
    assert use.why == "the screenplay names no recurring subject"
    assert all("teal" in s.image_prompt for s in made.shots)


def test_images_go_to_subjects_in_order_then_to_the_palette(tmp_path):
    images = (
        image(tmp_path, "broken.png", (0, 0, 0)),
        image(tmp_path, "mara.png", (200, 30, 40)),
        image(tmp_path, "theo.png", (30, 40, 200)),
        image(tmp_path, "look.png", (20, 120, 130)),
    )
    images[0].write_bytes(b"not an image")
    made = plan("Mara waits. Theo runs to Mara. Theo laughs. Mara smiles.", images=images)
    assert [s.key for s in made.bible.subjects] == ["mara", "theo"]
    assert [s.palette[0] for s in made.bible.subjects] == ["#c81e28", "#1e28c8"]
    assert [u.used_as for u in made.reference_uses] == [
        None,
        "subject reference for Mara",
        "subject reference for Theo",
        "style palette",
    ]
    assert made.reference_uses[0].why == "it could not be read as an image"
    assert made.reference_uses[3].why == "every recurring subject already has a reference"


def test_plans_stored_before_reference_uses_still_read():
    stored = plan("Mara waits.", shots=1).model_dump(mode="json")
    del stored["reference_uses"]
    assert Plan.model_validate(stored).reference_uses == ()
