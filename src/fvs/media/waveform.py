"""A music project's track drawn as a PNG: the waveform, its sections, beats and cut points.

Time runs left to right over the analysis's duration. Sections alternate two shades
behind everything; beats are ticks in a strip along the top (downbeats taller and
brighter); each cut is a full-height red line drawn last, so it is never hidden.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from fvs.media.audio import AudioSource, load_mono
from fvs.media.encode import partial_path
from fvs.media.music import MusicAnalysis

SECTION_SHADES = ((24, 26, 34), (38, 42, 56))
WAVE = (120, 170, 230)
BEAT = (150, 150, 150)
DOWNBEAT = (250, 210, 80)
CUT = (230, 50, 50)
BEAT_STRIP = 16  # pixels at the top that hold the beat ticks
DOWNBEAT_TICK = 16
BEAT_TICK = 8


def x_of(seconds: float, duration: float, width: int) -> int:
    """The pixel column of a time on a drawing width pixels wide."""
    if duration <= 0:
        return 0
    return min(width - 1, max(0, round(seconds / duration * (width - 1))))


def draw_waveform(
    samples_or_path: np.ndarray | AudioSource,
    analysis: MusicAnalysis,
    cuts: list[float],
    out: Path,
    width: int = 1200,
    height: int = 240,
) -> Path:
    """Draw the track with its sections, beats and cut points as a PNG at out."""
    samples = (
        samples_or_path if isinstance(samples_or_path, np.ndarray) else load_mono(samples_or_path)
    )
    image = Image.new("RGB", (width, height), SECTION_SHADES[0])
    draw = ImageDraw.Draw(image)
    duration = analysis.duration_seconds
    _sections(draw, analysis, width, height)
    _wave(draw, samples, width, height)
    _beats(draw, analysis, width)
    for cut in cuts:
        x = x_of(cut, duration, width)
        draw.line([(x, 0), (x, height - 1)], fill=CUT, width=1)
    partial = partial_path(out)
    image.save(partial, format="PNG")
    os.replace(partial, out)
    return out


def _sections(draw: ImageDraw.ImageDraw, analysis: MusicAnalysis, width: int, height: int) -> None:
    for i, section in enumerate(analysis.sections):
        left = x_of(section.start_seconds, analysis.duration_seconds, width)
        right = x_of(section.end_seconds, analysis.duration_seconds, width)
        draw.rectangle([left, 0, right, height - 1], fill=SECTION_SHADES[i % 2])


def _wave(draw: ImageDraw.ImageDraw, samples: np.ndarray, width: int, height: int) -> None:
    """Each column's peak amplitude, mirrored about the middle of the area below the beats."""
    if samples.size == 0:
        return
    columns = np.array_split(np.abs(samples.astype(np.float32)), width)
    peaks = np.array([c.max() if c.size else 0.0 for c in columns])
    peaks = peaks / max(float(peaks.max()), 1e-9)
    middle = (BEAT_STRIP + height) / 2
    reach = (height - BEAT_STRIP) / 2 - 2
    for x, peak in enumerate(peaks):
        if peak > 0:
            draw.line([(x, middle - peak * reach), (x, middle + peak * reach)], fill=WAVE)


def _beats(draw: ImageDraw.ImageDraw, analysis: MusicAnalysis, width: int) -> None:
    duration = analysis.duration_seconds
    downbeats = {x_of(t, duration, width) for t in analysis.downbeats}
    for t in analysis.beats:
        x = x_of(t, duration, width)
        if x not in downbeats:
            draw.line([(x, 0), (x, BEAT_TICK - 1)], fill=BEAT)
    for x in downbeats:
        draw.line([(x, 0), (x, DOWNBEAT_TICK - 1)], fill=DOWNBEAT)
