"""Image bombs uploaded to a render or returned by a model: a 422 or a step failure, not a 500."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from fvs.media import images
from fvs.providers.base import ImageSize
from fvs.providers.google.client import GoogleProviderError, make_client
from fvs.providers.google.painter import GeminiPainter
from tests.conftest import SMALL_RENDER
from tests.fakes.vertex import FakeVertex
from tests.media.bombs import png_claiming


def _submit_image(client, agent, data: bytes):
    files = [
        ("request_json", (None, json.dumps(SMALL_RENDER))),
        ("reference_image", ("fox.png", data, "image/png")),
    ]
    return client.post("/api/agent/renders", headers=agent.headers, files=files)


@pytest.mark.parametrize("side", [20_000, 12_000, 8_000])
def test_an_upload_claiming_too_many_pixels_is_a_422_naming_its_part(client, make_agent, side):
    response = _submit_image(client, make_agent(), png_claiming(side, side))
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["field"] == "reference_image"
    assert "the studio decodes at most 40000000 pixels" in error["message"]


@pytest.fixture
def restore_limit():
    yield
    images.configure(images.DEFAULT_MAX_PIXELS)  # the limit is per process: leave the default


@pytest.mark.settings(max_image_pixels=1000)
def test_the_pixel_limit_is_a_setting(client, make_agent, restore_limit):
    assert Image.MAX_IMAGE_PIXELS == 1000  # Pillow's own check agrees with the studio's
    response = _submit_image(client, make_agent(), png_claiming(40, 40))
    assert response.status_code == 422 and "at most 1000 pixels" in response.text


def test_a_model_returning_a_bomb_fails_the_paint_not_the_worker(tmp_path: Path):
    images.configure(images.DEFAULT_MAX_PIXELS)
    with FakeVertex() as fake:
        fake.image_bytes_override = png_claiming(20_000, 20_000)
        painter = GeminiPainter(
            "gemini-3-pro-image-preview", make_client(fake.config()), sleep=lambda s: None
        )
        shot = _shot()
        with pytest.raises(GoogleProviderError, match="at most 40000000 pixels"):
            painter.paint_keyframe(shot, _bible(), ImageSize(1024, 576), {}, tmp_path / "k.png")
    assert not (tmp_path / "k.png").exists()


def _bible():
    from tests.providers.google.test_gemini_painter import BIBLE

    return BIBLE


def _shot():
    from tests.providers.google.test_gemini_painter import SHOT

    return SHOT
