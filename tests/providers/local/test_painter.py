"""The procedural painter: exact sizes, consistent subjects, varied backgrounds."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from fvs.providers.base import ContinuityBible, ImageSize, ShotPlan, Subject
from fvs.providers.local.painter import LocalPainter

WOMAN = Subject(
    key="young-woman", description="a young woman", palette=("#c0392b", "#2c3e50", "#f1c40f")
)
FOX = Subject(key="fox", description="a fox", palette=("#e67e22", "#1abc9c"))
BIBLE = ContinuityBible(
    subjects=(WOMAN, FOX),
    setting="glowing archive corridor",
    palette=("#1b1b2f", "#6b4f3a", "#f2a541", "#ffe7a3"),
    style="cinematic, realistic lighting",
)


def _shot(index: int, prompt: str, move: str = "push_in", keys=("young-woman",)) -> ShotPlan:
    return ShotPlan(
        index=index,
        text=prompt,
        image_prompt=prompt,
        video_prompt=prompt,
        camera_move=move,
        duration_seconds=8,
        subject_keys=tuple(keys),
    )


def _paint(tmp_path, shot: ShotPlan, size=ImageSize(1024, 576), refs=True) -> np.ndarray:
    painter = LocalPainter()
    references = {}
    if refs:
        references = {
            s.key: painter.paint_reference(s, BIBLE, size, tmp_path / f"{s.key}.png")
            for s in BIBLE.subjects
        }
    out = painter.paint_keyframe(shot, BIBLE, size, references, tmp_path / f"k{shot.index}.png")
    with Image.open(out) as image:
        assert image.format == "PNG" and image.mode == "RGB"
        return np.asarray(image)


def _counts(frame: np.ndarray, hex_colour: str) -> int:
    rgb = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.uint8)
    return int(np.all(frame == rgb, axis=-1).sum())


def _subject_box(frame: np.ndarray) -> float:
    """Width over height of the box around the subject's exact palette colours."""
    mask = np.zeros(frame.shape[:2], dtype=bool)
    for colour in WOMAN.palette:
        rgb = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.uint8)
        mask |= np.all(frame == rgb, axis=-1)
    rows, cols = np.nonzero(mask)
    return (cols.max() - cols.min() + 1) / (rows.max() - rows.min() + 1)


@pytest.mark.parametrize(
    "size", [ImageSize(1024, 576), ImageSize(2048, 1152), ImageSize(576, 1024)]
)
def test_sizes_are_exact(tmp_path, size):
    frame = _paint(tmp_path, _shot(0, "Glowing archive corridor."), size)
    assert frame.shape == (size.height, size.width, 3)
    with Image.open(tmp_path / "young-woman.png") as ref:
        assert ref.size == (size.width, size.height) and ref.mode == "RGBA"
        alpha = np.asarray(ref.getchannel("A"))
        assert alpha.min() == 0 and alpha.max() == 255  # a sprite on a transparent canvas


def test_same_subject_same_colours_in_different_shots(tmp_path):
    corridor = _paint(tmp_path, _shot(0, "Glowing archive corridor with photographs.", "push_in"))
    chamber = _paint(tmp_path, _shot(1, "Sunlit memory chamber.", "pull_out"))
    coat = [_counts(f, WOMAN.palette[0]) for f in (corridor, chamber)]
    trousers = [_counts(f, WOMAN.palette[1]) for f in (corridor, chamber)]
    assert min(coat) > 500 and min(trousers) > 100
    # Same sprite, only scaled: the same colour shares and the same proportions.
    ratios = [c / t for c, t in zip(coat, trousers, strict=True)]
    assert abs(ratios[0] - ratios[1]) / ratios[0] < 0.25
    shapes = [_subject_box(f) for f in (corridor, chamber)]
    assert abs(shapes[0] - shapes[1]) / shapes[0] < 0.05
    # Framing differs: the push-in draws the subject larger than the pull-out.
    assert coat[0] > 2 * coat[1]
    # Backgrounds differ: compare the top corners, where the subject never stands.
    corner = (slice(0, 100), slice(0, 150))
    assert np.abs(corridor[corner].astype(int) - chamber[corner].astype(int)).mean() > 5


def test_subject_drawn_without_a_reference_file_matches(tmp_path):
    with_ref = _paint(tmp_path, _shot(0, "A field under the sky."))
    without = _paint(tmp_path, _shot(0, "A field under the sky."), refs=False)
    assert _counts(with_ref, WOMAN.palette[0]) > 500
    assert _counts(without, WOMAN.palette[0]) > 500


def test_non_human_subject_and_two_subjects(tmp_path):
    frame = _paint(tmp_path, _shot(2, "A tunnel of light.", "pan_left", ("young-woman", "fox")))
    assert _counts(frame, FOX.palette[0]) > 200 and _counts(frame, WOMAN.palette[0]) > 200


def test_different_prompts_give_different_images(tmp_path):
    a = _paint(tmp_path, _shot(0, "A tunnel.", keys=()))
    b = _paint(tmp_path, _shot(0, "A desert under the sky.", keys=()))
    assert np.abs(a.astype(int) - b.astype(int)).mean() > 5


def test_deterministic(tmp_path):
    shot = _shot(4, "A corridor lined with frames.")
    assert np.array_equal(_paint(tmp_path / "a", shot), _paint(tmp_path / "b", shot))


@pytest.mark.parametrize("prompt", ["", "zxqv blorp", "!!! 123"])
def test_prompts_without_known_words(tmp_path, prompt):
    frame = _paint(tmp_path, _shot(0, prompt, "static", keys=("unknown-key", "fox")))
    assert frame.shape == (576, 1024, 3) and frame.std() > 1


def test_empty_bible_palette_and_unreadable_reference(tmp_path):
    bible = ContinuityBible(subjects=(WOMAN,), setting="", palette=(), style="")
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"nope")
    out = LocalPainter().paint_keyframe(
        _shot(0, "room"), bible, ImageSize(320, 180), {"young-woman": bad}, tmp_path / "k.png"
    )
    assert _counts(np.asarray(Image.open(out)), WOMAN.palette[0]) > 20
