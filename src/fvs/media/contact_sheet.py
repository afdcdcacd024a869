"""A contact sheet: the keyframes of a film laid out as a JPEG grid, for review at a glance."""

from __future__ import annotations

import math
import os
from pathlib import Path

from PIL import Image

from fvs.media.encode import partial_path
from fvs.media.images import load_rgb, open_image

BACKGROUND = (18, 18, 20)
GUTTER = 8
JPEG_QUALITY = 88


def sheet_size(count: int, *, columns: int, thumb_width: int, thumb_height: int) -> tuple[int, int]:
    """Return the pixel size of a sheet holding count thumbnails of the given size."""
    cols = min(columns, count)
    rows = math.ceil(count / columns)
    return (cols * thumb_width + (cols + 1) * GUTTER, rows * thumb_height + (rows + 1) * GUTTER)


def _thumbnail(path: Path, width: int, height: int) -> Image.Image:
    """Cover-fit one image into a width x height cell."""
    rgb = load_rgb(path, reduce_to=(width, height))
    scale = max(width / rgb.width, height / rgb.height)
    box_w, box_h = width / scale, height / scale
    left, top = (rgb.width - box_w) / 2, (rgb.height - box_h) / 2
    return rgb.resize(
        (width, height), Image.Resampling.LANCZOS, box=(left, top, left + box_w, top + box_h)
    )


def make_contact_sheet(
    images: list[Path], out_path: Path, *, columns: int = 3, thumb_width: int = 480
) -> Path:
    """Lay the images out in a grid (cells shaped like the first image) and save a JPEG."""
    if not images:
        raise ValueError("a contact sheet needs at least one image")
    if columns < 1 or thumb_width < 1:
        raise ValueError("columns and thumb_width must be positive")
    with open_image(images[0]) as first:
        thumb_height = max(1, round(thumb_width * first.height / first.width))
    sheet = Image.new(
        "RGB",
        sheet_size(
            len(images), columns=columns, thumb_width=thumb_width, thumb_height=thumb_height
        ),
        BACKGROUND,
    )
    for index, path in enumerate(images):
        row, col = divmod(index, columns)
        x = GUTTER + col * (thumb_width + GUTTER)
        y = GUTTER + row * (thumb_height + GUTTER)
        sheet.paste(_thumbnail(path, thumb_width, thumb_height), (x, y))
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = partial_path(out_path)
    try:
        sheet.save(tmp, format="JPEG", quality=JPEG_QUALITY, optimize=True)
        os.replace(tmp, out_path)
    finally:
        tmp.unlink(missing_ok=True)
    return out_path
