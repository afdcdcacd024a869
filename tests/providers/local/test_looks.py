"""Visual style presets change the local painter's pixels, each in its own measurable way."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from fvs.providers.base import ContinuityBible, ImageSize, ShotPlan, Subject
from fvs.providers.local.painter import LocalPainter
from fvs.providers.styles import PRESET_NAMES

MARA = Subject(key="mara", description="Mara, a young woman", palette=("#c0392b", "#2c3e50"))
BIBLE = ContinuityBible(
    subjects=(MARA,),
    setting="a glowing archive corridor",
    palette=("#1b1b2f", "#6b4f3a", "#f2a541", "#ffe7a3"),
    style="cinematic",
)
SHOT = ShotPlan(
    index=0,
    text="Mara walks down a glowing archive corridor lined with photographs.",
    image_prompt="Mara walks down a glowing archive corridor lined with photographs.",
    video_prompt="Mara walks.",
    camera_move="push_in",
    duration_seconds=8,
    subject_keys=("mara",),
)


def keyframe(tmp_path, preset: str) -> np.ndarray:
    bible = BIBLE.model_copy(update={"preset": preset})
    out = LocalPainter().paint_keyframe(SHOT, bible, ImageSize(512, 288), {}, tmp_path / preset)
    with Image.open(out) as image:
        return np.asarray(image.convert("RGB"), dtype=np.float32)


def saturation(pixels: np.ndarray) -> float:
    return float((pixels.max(axis=2) - pixels.min(axis=2)).mean())


def contrast(pixels: np.ndarray) -> float:
    return float(pixels.mean(axis=2).std())


def edge_energy(pixels: np.ndarray) -> float:
    grey = pixels.mean(axis=2)
    return float(np.abs(np.diff(grey, axis=0)).mean() + np.abs(np.diff(grey, axis=1)).mean())


def colours(pixels: np.ndarray) -> int:
    return len(np.unique(pixels.reshape(-1, 3).astype(np.uint8), axis=0))


@pytest.fixture(scope="module")
def frames(tmp_path_factory) -> dict[str, np.ndarray]:
    folder = tmp_path_factory.mktemp("looks")
    return {preset: keyframe(folder, preset) for preset in PRESET_NAMES}


def test_every_preset_paints_a_different_frame(frames):
    names = list(frames)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert np.abs(frames[a] - frames[b]).mean() > 2, (a, b)


def test_noir_is_grey_and_harder_than_the_default(frames):
    noir, cinematic = frames["noir"], frames["realistic_cinematic"]
    assert saturation(noir) < 1 < saturation(cinematic)
    assert contrast(noir) > 1.2 * contrast(cinematic)


def test_watercolor_is_soft_and_pale(frames):
    water, cinematic = frames["watercolor"], frames["realistic_cinematic"]
    assert edge_energy(water) < 0.8 * edge_energy(cinematic)
    assert water.mean() > cinematic.mean() + 20


def test_anime_is_flat_and_inked(frames):
    anime, cinematic = frames["anime"], frames["realistic_cinematic"]
    assert colours(anime) < colours(cinematic) / 4
    assert saturation(anime) > saturation(cinematic)


def test_documentary_is_muted_and_vintage_film_is_warm_and_faded(frames):
    cinematic = frames["realistic_cinematic"]
    assert saturation(frames["documentary"]) < 0.7 * saturation(cinematic)
    vintage = frames["vintage_film"]
    red, blue = vintage[..., 0].mean(), vintage[..., 2].mean()
    assert red > blue + 10 and np.percentile(vintage, 1) > np.percentile(cinematic, 1) + 10


def test_the_default_preset_leaves_the_painting_as_it_was(tmp_path):
    plain = BIBLE  # a bible stored before presets reads back as realistic_cinematic
    out = LocalPainter().paint_keyframe(SHOT, plain, ImageSize(512, 288), {}, tmp_path / "p.png")
    with Image.open(out) as image:
        assert np.array_equal(
            np.asarray(image.convert("RGB")), keyframe(tmp_path, "realistic_cinematic")
        )
