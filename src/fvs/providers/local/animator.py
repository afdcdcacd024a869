"""Turns one keyframe into a short clip with a smooth virtual camera move, offline.

Speed matters here: a whole render is compared against ffmpeg merely encoding
the same number of frames. So the keyframe is prepared once as YUV 4:2:0
planes slightly larger than the output, and each frame is only a bilinear
resample of those planes (Pillow, in C) piped straight into x264, which skips
the RGB to YUV conversion per frame and halves the bytes through the pipe.
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from fvs.media.encode import ClipEncoder, rgb_to_yuv420
from fvs.media.images import load_rgb
from fvs.providers.base import ClipSpec, ContinuityBible, ImageSize, ShotPlan
from fvs.providers.local.painter import compose_from_references

MARGIN = 1.2  # source planes are this much larger than the frame, room to move
# View box width over frame width at either end of a push. Never above 1: an
# upscaling bilinear resample reads two taps per pass, a downscale reads more.
PUSH_FAR, PUSH_NEAR = 1.0, 0.86
# Chroma moves in whole chroma pixels; at 4:2:0 the eye cannot tell, and it
# saves a third of the per-frame work.
CHROMA_FILTER = Image.Resampling.NEAREST
BREATH_DEPTH = 0.012  # how far "static" shots slowly breathe in and out
BREATH_PERIOD_S = 6.0
MORPH_SECONDS = 1.0  # a continuous shot morphs into the next keyframe over its last second


@dataclass(frozen=True)
class View:
    """Where the virtual camera looks: box scale vs the frame and its centre, in source px."""

    scale: float
    cx: float
    cy: float


@dataclass(frozen=True)
class SourcePlanes:
    y: Image.Image
    u: Image.Image
    v: Image.Image

    @property
    def size(self) -> tuple[int, int]:
        return self.y.size


def ease(t: float) -> float:
    """Ease in and out, so a move starts and ends at rest."""
    return 0.5 - 0.5 * math.cos(math.pi * min(max(t, 0.0), 1.0))


def prepare_source(keyframe: Path, width: int, height: int) -> SourcePlanes:
    """Cover-fit the keyframe to the frame plus a margin, once, as YUV 4:2:0 planes."""
    # Even margins on each side keep chroma offsets whole pixels for pans and tilts.
    pad_x = 2 * round(width * (MARGIN - 1) / 4)
    pad_y = 2 * round(height * (MARGIN - 1) / 4)
    src_w, src_h = width + 2 * pad_x, height + 2 * pad_y
    rgb = load_rgb(keyframe, reduce_to=(src_w, src_h))
    scale = max(src_w / rgb.width, src_h / rgb.height)
    fit_w, fit_h = math.ceil(rgb.width * scale), math.ceil(rgb.height * scale)
    left, top = (fit_w - src_w) / 2, (fit_h - src_h) / 2
    rgb = rgb.resize(
        (src_w, src_h),
        Image.Resampling.LANCZOS,
        box=(left / scale, top / scale, (left + src_w) / scale, (top + src_h) / scale),
    )
    y, u, v = rgb_to_yuv420(np.asarray(rgb))
    return SourcePlanes(Image.fromarray(y), Image.fromarray(u), Image.fromarray(v))


def camera_view(
    move: str, t: float, seconds: float, frame: tuple[int, int], source: tuple[int, int]
) -> View:
    """Return the view at time fraction t (0..1) of a shot with the given camera move."""
    (width, height), (src_w, src_h) = frame, source
    mid_x, mid_y = src_w / 2, src_h / 2
    free_x, free_y = (src_w - width) / 2, (src_h - height) / 2  # slack at scale 1
    e = ease(t)
    if move == "pull_out":
        return View(PUSH_NEAR + (PUSH_FAR - PUSH_NEAR) * e, mid_x, mid_y)
    if move in ("pan_left", "pan_right"):
        sign = -1 if move == "pan_left" else 1
        return View(1.0, mid_x + sign * free_x * (2 * e - 1), mid_y)
    if move in ("tilt_up", "tilt_down"):
        sign = -1 if move == "tilt_up" else 1
        return View(1.0, mid_x, mid_y + sign * free_y * (2 * e - 1))
    if move == "static":
        # A slow breath and a sub-pixel drift, so a still shot never looks frozen.
        phase = 2 * math.pi * t * seconds / BREATH_PERIOD_S
        scale = 0.97 - BREATH_DEPTH * (1 - math.cos(phase)) / 2
        return View(scale, mid_x + 0.01 * width * math.sin(phase / 2), mid_y)
    if move == "push_in":
        return View(PUSH_FAR + (PUSH_NEAR - PUSH_FAR) * e, mid_x, mid_y)
    # Unknown moves get a gentle push in rather than an error mid-render.
    return View(0.98 - 0.06 * e, mid_x, mid_y)


def view_box(
    view: View, frame: tuple[int, int], source: tuple[int, int]
) -> tuple[float, float, float, float]:
    """Return the source box (left, top, right, bottom) the view sees, kept inside the source."""
    box_w, box_h = frame[0] * view.scale, frame[1] * view.scale
    left = min(max(view.cx - box_w / 2, 0.0), source[0] - box_w)
    top = min(max(view.cy - box_h / 2, 0.0), source[1] - box_h)
    return left, top, left + box_w, top + box_h


def sample(
    plane: Image.Image,
    box: tuple[float, float, float, float],
    size: tuple[int, int],
    resample: Image.Resampling = Image.Resampling.BILINEAR,
) -> np.ndarray:
    """Bilinearly resample box of plane to size, skipping passes that are whole-pixel copies."""
    left, top, right, bottom = box
    # A whole-pixel offset at scale 1 is a crop; cropping first lets Pillow skip that pass.
    if abs(bottom - top - size[1]) < 1e-6 and abs(top - round(top)) < 1e-6:
        plane = plane.crop((0, round(top), plane.width, round(top) + size[1]))
        top, bottom = 0.0, float(size[1])
    if abs(right - left - size[0]) < 1e-6 and abs(left - round(left)) < 1e-6:
        plane = plane.crop((round(left), 0, round(left) + size[0], plane.height))
        left, right = 0.0, float(size[0])
    out = plane.resize(size, resample, box=(left, top, right, bottom), reducing_gap=None)
    return np.asarray(out)


def _blend(current: np.ndarray, target: np.ndarray, weight: float) -> np.ndarray:
    mixed = current.astype(np.float32) * (1 - weight) + target.astype(np.float32) * weight
    return np.rint(mixed).astype(np.uint8)


@dataclass(frozen=True)
class Morph:
    """The next shot's keyframe, as the frame a continuous shot ends on, and from when."""

    planes: tuple[np.ndarray, np.ndarray, np.ndarray]
    first_frame: int  # the morph starts here and reaches the keyframe on the clip's last frame
    last_frame: int

    def weight(self, index: int) -> float:
        if index < self.first_frame:
            return 0.0
        return ease((index - self.first_frame) / max(self.last_frame - self.first_frame, 1))


def prepare_morph(last_frame: Path, spec: ClipSpec, frame_count: int) -> Morph:
    """The next keyframe at rest, framed as a shot's first frame: centred, unscaled."""
    size = (spec.width, spec.height)
    half = (spec.width // 2, spec.height // 2)
    source = prepare_source(last_frame, spec.width, spec.height)
    box = view_box(View(1.0, source.size[0] / 2, source.size[1] / 2), size, source.size)
    chroma_box = (box[0] / 2, box[1] / 2, box[2] / 2, box[3] / 2)
    planes = (
        sample(source.y, box, size),
        sample(source.u, chroma_box, half, CHROMA_FILTER),
        sample(source.v, chroma_box, half, CHROMA_FILTER),
    )
    morph_frames = min(frame_count, round(MORPH_SECONDS * spec.fps))
    return Morph(planes, frame_count - morph_frames, frame_count - 1)


class LocalAnimator:
    """A VideoFilmer that animates the keyframe itself with a virtual camera; no model."""

    def film(
        self,
        shot: ShotPlan,
        keyframe: Path,
        spec: ClipSpec,
        out_path: Path,
        *,
        last_frame: Path | None = None,
    ) -> Path:
        """Render the shot's clip from its keyframe and return out_path; with last_frame,
        the clip's last second morphs into that picture (a continuous shot)."""
        frame_count = spec.duration_seconds * spec.fps
        size = (spec.width, spec.height)
        half = (spec.width // 2, spec.height // 2)
        source = prepare_source(keyframe, spec.width, spec.height)
        morph = prepare_morph(last_frame, spec, frame_count) if last_frame else None
        with ClipEncoder(
            out_path,
            width=spec.width,
            height=spec.height,
            fps=spec.fps,
            frame_count=frame_count,
            audio="ambience" if spec.audio else "silence",
            seed=spec.seed,
            pixel_format="yuv420p",
        ) as encoder:
            for index in range(frame_count):
                t = index / max(frame_count - 1, 1)
                view = camera_view(shot.camera_move, t, spec.duration_seconds, size, source.size)
                box = view_box(view, size, source.size)
                chroma_box = (box[0] / 2, box[1] / 2, box[2] / 2, box[3] / 2)
                planes = (
                    sample(source.y, box, size),
                    sample(source.u, chroma_box, half, CHROMA_FILTER),
                    sample(source.v, chroma_box, half, CHROMA_FILTER),
                )
                weight = morph.weight(index) if morph else 0.0
                if morph and weight > 0:
                    planes = tuple(  # type: ignore[assignment]
                        _blend(a, b, weight) for a, b in zip(planes, morph.planes, strict=True)
                    )
                encoder.write_yuv420(*planes)
        return out_path

    def film_from_references(
        self,
        shot: ShotPlan,
        references: tuple[Path, ...],
        bible: ContinuityBible,
        spec: ClipSpec,
        out_path: Path,
    ) -> Path:
        """Film the shot from its subjects' reference images, with no keyframe: the images
        are placed on the shot's world in its look, and that frame is animated as usual."""
        if not references:
            raise ValueError(f"shot {shot.index + 1} has no reference image to film from")
        frame = compose_from_references(shot, bible, references, ImageSize(spec.width, spec.height))
        with tempfile.TemporaryDirectory(prefix="fvs-references-") as scratch:
            composed = Path(scratch) / "references.png"
            frame.save(composed, format="PNG", compress_level=1)
            return self.film(shot, composed, spec, out_path)
