"""Opening images that strangers or models sent: the size checked from the header first.

A 68-byte PNG may claim 20000x20000 pixels: decoding it takes 1.2 GB. Pillow
opens lazily (the header only), so every image the studio decodes goes through
open_image: it refuses more pixels than FVS_MAX_IMAGE_PIXELS before any decoding,
and decodes big-but-allowed images reduced when the caller needs only a small one.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PIL import Image, UnidentifiedImageError

DEFAULT_MAX_PIXELS = 40_000_000
_limit = {"pixels": DEFAULT_MAX_PIXELS}


class ImageTooLarge(ValueError):
    """The image claims more pixels than the studio decodes."""

    def __init__(self, claimed: str, limit: int) -> None:
        super().__init__(f"the image is {claimed}; the studio decodes at most {limit} pixels")


class UnreadableImage(ValueError):
    """Not an image Pillow can read."""


def configure(max_pixels: int) -> None:
    """Set the pixel limit for this process (build_studio calls it with the setting)."""
    _limit["pixels"] = max_pixels
    # Pillow's own bomb check agrees: it raises at twice this and warns above it. The
    # warning is ours to act on (open_image refuses), so it is not repeated to the logs.
    Image.MAX_IMAGE_PIXELS = max_pixels
    warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)


def max_pixels() -> int:
    return _limit["pixels"]


@contextmanager
def open_image(
    source: Path | bytes, *, reduce_to: tuple[int, int] | None = None
) -> Iterator[Image.Image]:
    """The image, header read and size checked; nothing decoded yet.

    reduce_to: the caller needs about this size at most, so a JPEG decodes at a fraction
    of its size (draft) and other formats are reduced by whole factors right after loading.
    """
    try:
        image = Image.open(io.BytesIO(source) if isinstance(source, bytes) else source)
    except Image.DecompressionBombError as exc:
        # Pillow refuses at twice the limit before we see the size; say what it knows.
        raise ImageTooLarge(f"over {2 * max_pixels()} pixels", max_pixels()) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise UnreadableImage(str(exc)) from None
    with image:
        width, height = image.size
        if width * height > max_pixels():
            raise ImageTooLarge(f"{width}x{height} pixels", max_pixels())
        if reduce_to is not None:
            image.draft("RGB", reduce_to)  # JPEG only: decodes at 1/2, 1/4 or 1/8 scale
        yield image


def load_rgb(source: Path | bytes, *, reduce_to: tuple[int, int] | None = None) -> Image.Image:
    """Decode as RGB, refusing bombs; at least reduce_to in each side when it is given."""
    return _load(source, "RGB", reduce_to)


def load_rgba(source: Path | bytes, *, reduce_to: tuple[int, int] | None = None) -> Image.Image:
    """Decode as RGBA, refusing bombs; at least reduce_to in each side when it is given."""
    return _load(source, "RGBA", reduce_to)


def _load(source: Path | bytes, mode: str, reduce_to: tuple[int, int] | None) -> Image.Image:
    with open_image(source, reduce_to=reduce_to) as image:
        try:
            loaded = image.convert(mode)
        except (OSError, SyntaxError, ValueError) as exc:
            raise UnreadableImage(str(exc)) from None
    if reduce_to is None:
        return loaded
    # Whole-factor reduction keeps at least reduce_to, so later cover-fits lose nothing.
    factor = min(loaded.width // max(1, reduce_to[0]), loaded.height // max(1, reduce_to[1]))
    return loaded.reduce(factor) if factor >= 2 else loaded
