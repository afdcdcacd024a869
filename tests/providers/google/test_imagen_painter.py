"""Imagen through the real SDK's generate_images (Vertex :predict) against the fake."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from fvs.providers.base import ContinuityBible, ImageSize, ShotPlan, Subject
from fvs.providers.google.imagen import ImagenPainter
from fvs.providers.google.painter import NoImageReturned

FOX = Subject(key="red-fox", description="a red fox with a white-tipped tail", palette=())
BIBLE = ContinuityBible(
    subjects=(FOX,), setting="a snowy forest", palette=("#102030",), style="cinematic"
)
SHOT = ShotPlan(
    index=0,
    text="The fox looks up.",
    image_prompt="A fox in snow.",
    video_prompt="",
    camera_move="tilt_up",
    duration_seconds=4,
    subject_keys=("red-fox",),
)


def test_keyframes_come_from_predict_at_the_requested_size(fake, tmp_path: Path) -> None:
    painter = ImagenPainter("imagen-4.0-generate-001", fake.client(), sleep=lambda _: None)
    out = painter.paint_keyframe(SHOT, BIBLE, ImageSize(1024, 576), {}, tmp_path / "k.png")
    with Image.open(out) as image:
        assert image.size == (1024, 576)
    [call] = fake.recorded("predict")
    assert call.model == "imagen-4.0-generate-001"
    assert call.body["parameters"]["aspectRatio"] == "16:9"
    assert call.body["parameters"]["sampleImageSize"] == "1K"
    assert "a red fox with a white-tipped tail" in call.body["instances"][0]["prompt"]


def test_a_filtered_image_names_the_reason(fake, tmp_path: Path) -> None:
    fake.block_next_images(1)
    painter = ImagenPainter("imagen-4.0-generate-001", fake.client(), sleep=lambda _: None)
    with pytest.raises(NoImageReturned, match="blocked by the fake"):
        painter.paint_reference(FOX, BIBLE, ImageSize(576, 1024), tmp_path / "r.png")
    assert not (tmp_path / "r.png").exists()
