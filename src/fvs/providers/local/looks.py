"""The local painter's visual style presets: each a visible, deterministic image treatment.

A finished keyframe is filtered by its preset so a preset changes what the frame
looks like, not only what a prompt says: noir is grey and hard, watercolour soft
and pale, anime flat with inked edges, vintage film warm, faded and grainy.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter, ImageOps


def _soft_radius(image: Image.Image, share: float) -> float:
    return max(1.0, image.height * share)


def _noir(image: Image.Image) -> Image.Image:
    grey = ImageOps.autocontrast(ImageOps.grayscale(image), cutoff=2)
    # A steep S-curve: shadows crushed, highlights pushed, the hard light of noir.
    curve = [round(255 / (1 + np.exp(-(v - 128) / 22))) for v in range(256)]
    return grey.point(curve).convert("RGB")


def _watercolor(image: Image.Image) -> Image.Image:
    soft = image.filter(ImageFilter.GaussianBlur(_soft_radius(image, 0.012)))
    pale = Image.blend(soft, Image.new("RGB", image.size, (246, 240, 226)), 0.35)
    return ImageEnhance.Color(pale).enhance(0.85)


def _anime(image: Image.Image) -> Image.Image:
    flat = ImageOps.posterize(ImageEnhance.Color(image).enhance(1.5), 3)
    edges = ImageOps.invert(flat.convert("L").filter(ImageFilter.FIND_EDGES))
    ink = edges.point(lambda v: 0 if v < 200 else 255)
    return Image.composite(flat, Image.new("RGB", image.size, (20, 16, 24)), ink)


def _three_d(image: Image.Image) -> Image.Image:
    smooth = image.filter(ImageFilter.GaussianBlur(_soft_radius(image, 0.004)))
    return ImageEnhance.Brightness(ImageEnhance.Color(smooth).enhance(1.35)).enhance(1.08)


def _claymation(image: Image.Image) -> Image.Image:
    flat = ImageOps.posterize(ImageEnhance.Color(image).enhance(1.25), 4)
    warm = Image.blend(flat, Image.new("RGB", image.size, (200, 130, 80)), 0.12)
    # Rounded, moulded forms: smoothed small and enlarged, cheap even at 4K.
    small = warm.resize((max(1, warm.width // 4), max(1, warm.height // 4)), Image.Resampling.BOX)
    return small.resize(warm.size, Image.Resampling.BICUBIC)


def _documentary(image: Image.Image) -> Image.Image:
    muted = ImageEnhance.Color(image).enhance(0.55)
    return ImageEnhance.Contrast(muted).enhance(0.9)


def _vintage_film(image: Image.Image) -> Image.Image:
    sepia = ImageOps.colorize(ImageOps.grayscale(image), (40, 26, 18), (250, 226, 180))
    warm = Image.blend(ImageEnhance.Color(image).enhance(0.5), sepia, 0.6)
    pixels = np.asarray(warm, dtype=np.float32)
    # Lifted blacks and fixed-seed grain: faded stock that looks the same on every run.
    grain = np.random.default_rng(70).normal(0, 9, pixels.shape[:2])[..., None]
    faded = 28 + pixels * (220 - 28) / 255 + grain
    return Image.fromarray(np.clip(faded, 0, 255).astype(np.uint8), "RGB")


LOOKS: dict[str, Callable[[Image.Image], Image.Image]] = {
    "noir": _noir,
    "watercolor": _watercolor,
    "anime": _anime,
    "3d_animation": _three_d,
    "claymation": _claymation,
    "documentary": _documentary,
    "vintage_film": _vintage_film,
}


def apply_look(image: Image.Image, preset: str) -> Image.Image:
    """The frame in the preset's look; realistic_cinematic (and unknown names) leave it as is."""
    look = LOOKS.get(preset)
    return image if look is None else look(image.convert("RGB"))
