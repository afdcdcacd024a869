"""The image guard: sizes read from the header, bombs refused, big images decoded reduced."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from fvs.media import images
from fvs.media.images import ImageTooLarge, UnreadableImage, load_rgb, open_image
from tests.media.bombs import png_claiming


@pytest.fixture(autouse=True)
def default_limit():
    images.configure(images.DEFAULT_MAX_PIXELS)
    yield
    images.configure(images.DEFAULT_MAX_PIXELS)


def _jpeg(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


@pytest.mark.parametrize("side", [20_000, 12_000, 6_400])
def test_a_tiny_file_claiming_too_many_pixels_is_refused_before_decoding(side):
    bomb = png_claiming(side, side)
    assert len(bomb) < 80
    with pytest.raises(ImageTooLarge, match="at most 40000000 pixels"):
        load_rgb(bomb)


def test_the_limit_follows_the_setting_and_pillow_agrees():
    images.configure(10_000)
    assert Image.MAX_IMAGE_PIXELS == 10_000
    with pytest.raises(ImageTooLarge, match="101x100 pixels"):
        load_rgb(png_claiming(101, 100))
    with open_image(png_claiming(100, 100)) as image:
        assert image.size == (100, 100)


def test_garbage_is_unreadable_not_a_crash():
    with pytest.raises(UnreadableImage):
        load_rgb(b"\x89PNG not really")


def test_a_big_jpeg_is_decoded_reduced_when_only_a_small_one_is_needed():
    big = _jpeg(4000, 3000)
    full = load_rgb(big)
    small = load_rgb(big, reduce_to=(64, 64))
    assert full.size == (4000, 3000)
    # Decoded at 1/8 scale (draft), never below what was asked for.
    assert small.width * small.height <= full.width * full.height / 16
    assert small.width >= 64 and small.height >= 64


def test_a_big_png_is_reduced_right_after_loading():
    out = io.BytesIO()
    Image.new("RGB", (2000, 1000), (10, 200, 30)).save(out, "PNG")
    small = load_rgb(out.getvalue(), reduce_to=(100, 100))
    assert small.size == (200, 100)
