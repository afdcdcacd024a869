"""GeminiPainter through the real SDK against the fake: sizes, references and refusals."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from PIL import Image

from fvs.providers.base import ContinuityBible, ImageSize, ShotPlan, Subject
from fvs.providers.google.client import make_client
from fvs.providers.google.painter import GeminiPainter, NoImageReturned, image_config_for
from tests.fakes.vertex import FakeVertex

FOX = Subject(key="red-fox", description="a red fox", palette=("#c0392b",))
OWL = Subject(key="owl", description="a snowy owl", palette=("#eeeeee",))
BIBLE = ContinuityBible(
    subjects=(FOX, OWL), setting="a snowy forest", palette=("#102030",), style="cinematic"
)
SHOT = ShotPlan(
    index=0,
    text="The fox meets the owl.",
    image_prompt="A fox and an owl in snow.",
    video_prompt="",
    camera_move="push_in",
    duration_seconds=4,
    subject_keys=("red-fox", "owl"),
)


def _decode(data: str) -> bytes:
    # The SDK sends Part bytes URL-safe and unpadded.
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


def _painter(fake: FakeVertex, model_id: str = "gemini-3-pro-image-preview") -> GeminiPainter:
    return GeminiPainter(model_id, make_client(fake.config()), sleep=lambda s: None)


@pytest.mark.parametrize(
    ("width", "height", "label", "aspect"),
    [(1024, 576, "1K", "16:9"), (576, 1024, "1K", "9:16"), (2048, 1152, "2K", "16:9")],
)
def test_sizes_map_to_image_config_and_files_match(
    fake: FakeVertex, tmp_path: Path, width: int, height: int, label: str, aspect: str
) -> None:
    out = _painter(fake).paint_reference(FOX, BIBLE, ImageSize(width, height), tmp_path / "r.png")
    [sent] = fake.recorded("generateContent")
    generation = sent.body["generationConfig"]
    assert generation["responseModalities"] == ["IMAGE"]
    assert generation["imageConfig"] == {"imageSize": label, "aspectRatio": aspect}
    with Image.open(out) as image:
        assert (image.format, image.size) == ("PNG", (width, height))


def test_other_returned_sizes_are_resized_to_the_request(fake: FakeVertex, tmp_path: Path) -> None:
    # 2.5 Flash Image takes no imageSize and answers 1344x768 for 16:9.
    painter = _painter(fake, "gemini-2.5-flash-image")
    out = painter.paint_reference(FOX, BIBLE, ImageSize(1024, 576), tmp_path / "r.png")
    assert "imageSize" not in fake.requests[0].body["generationConfig"]["imageConfig"]
    with Image.open(out) as image:
        assert image.size == (1024, 576)


def test_keyframe_attaches_the_references_of_its_subjects(fake: FakeVertex, tmp_path: Path) -> None:
    painter = _painter(fake)
    size = ImageSize(1024, 576)
    refs = {s.key: painter.paint_reference(s, BIBLE, size, tmp_path / f"{s.key}.png")
            for s in (FOX, OWL)}  # fmt: skip
    refs["stranger"] = refs["owl"]  # a reference for a subject not in the shot stays out
    painter.paint_keyframe(SHOT, BIBLE, size, refs, tmp_path / "k.png")
    parts = fake.recorded("generateContent")[-1].body["contents"][0]["parts"]
    images = [p["inlineData"] for p in parts if "inlineData" in p]
    # The SDK passes Blob through in proto field names (mime_type); Vertex accepts both.
    mimes = [i.get("mimeType", i.get("mime_type")) for i in images]
    assert mimes == ["image/png", "image/png"]
    assert _decode(images[0]["data"]) == refs["red-fox"].read_bytes()
    assert parts[-1]["text"].startswith("A fox and an owl in snow.")
    with Image.open(io.BytesIO((tmp_path / "k.png").read_bytes())) as image:
        assert image.size == (1024, 576)


def test_no_image_raises_naming_model_and_reason(fake: FakeVertex, tmp_path: Path) -> None:
    fake.block_next_images()
    with pytest.raises(NoImageReturned, match=r"gemini-3-pro-image-preview.*IMAGE_SAFETY"):
        _painter(fake).paint_reference(FOX, BIBLE, ImageSize(1024, 576), tmp_path / "r.png")
    assert not (tmp_path / "r.png").exists()


def test_unlisted_sizes_pick_the_smallest_size_that_covers_them() -> None:
    assert image_config_for(ImageSize(1280, 720)) == ("2K", "16:9")
    assert image_config_for(ImageSize(720, 1280)) == ("2K", "9:16")
    assert image_config_for(ImageSize(7680, 4320)) == ("4K", "16:9")
