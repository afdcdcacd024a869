"""The contact sheet's layout, checked on the JPEG it writes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fvs.media.contact_sheet import GUTTER, make_contact_sheet

COLOURS = [(220, 40, 40), (40, 200, 60), (50, 80, 220), (230, 220, 50)]


def images(folder: Path, size: tuple[int, int]) -> list[Path]:
    paths = []
    for index, colour in enumerate(COLOURS):
        path = folder / f"key{index}.png"
        Image.new("RGB", size, colour).save(path)
        paths.append(path)
    return paths


def test_grid_of_landscape_keyframes(tmp_path: Path) -> None:
    out = make_contact_sheet(
        images(tmp_path, (640, 360)), tmp_path / "sheet.jpg", columns=3, thumb_width=160
    )
    with Image.open(out) as sheet:
        assert sheet.format == "JPEG"
        assert sheet.size == (3 * 160 + 4 * GUTTER, 2 * 90 + 3 * GUTTER)
        pixels = np.asarray(sheet.convert("RGB")).astype(int)
    assert pixels[0, 0].max() < 40  # dark gutter
    # The fourth image starts the second row; its cell centre keeps its colour.
    centre = pixels[2 * GUTTER + 90 + 45, GUTTER + 80]
    assert np.abs(centre - COLOURS[3]).max() < 12
    assert np.abs(pixels[-GUTTER - 45, -GUTTER - 80]).max() < 40  # empty cell stays dark


def test_portrait_keyframes_and_fewer_images_than_columns(tmp_path: Path) -> None:
    out = make_contact_sheet(
        images(tmp_path, (180, 320))[:2], tmp_path / "p.jpg", columns=3, thumb_width=90
    )
    with Image.open(out) as sheet:
        assert sheet.size == (2 * 90 + 3 * GUTTER, 160 + 2 * GUTTER)


def test_no_images_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        make_contact_sheet([], tmp_path / "x.jpg")
    assert list(tmp_path.iterdir()) == []
