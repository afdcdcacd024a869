"""Loudness of a delivery: measure (EBU R128), normalise, and trim a soundtrack.

Measurement is ffmpeg's ebur128 filter with true peak (4x oversampled); normalisation
is loudnorm in two passes, the second linear with the first pass's figures, so the
music keeps its dynamics. Video streams are copied untouched.

The true-peak ceiling wins over the loudness target: material whose peaks stand more
than about 12.5 dB above its loudness (sparse drums) is delivered below -14 LUFS rather
than limited or distorted.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from fvs.media.encode import partial_path
from fvs.media.ffmpeg import MediaError, run_ffmpeg, run_ffmpeg_report

TARGET_LUFS = -14.0
TARGET_TRUE_PEAK = -1.0
# loudnorm aims this far under the ceiling: lossy encoding adds a few tenths of a dB.
TRUE_PEAK_MARGIN = 0.5
TARGET_LRA = 20.0  # generous, so loudnorm stays linear for most music
OUTPUT_RATE = "48000"  # loudnorm works at 192 kHz; deliveries are 48 kHz
FFMPEG_TIMEOUT = 600.0
AUDIO_CODECS = {
    ".wav": ["-c:a", "pcm_s16le"],
    ".flac": ["-c:a", "flac"],
    ".mp3": ["-c:a", "libmp3lame", "-b:a", "192k"],
    ".m4a": ["-c:a", "aac", "-b:a", "192k"],
    ".mp4": ["-c:a", "aac", "-b:a", "192k", "-movflags", "+faststart"],
    ".mov": ["-c:a", "aac", "-b:a", "192k"],
}
SUMMARY_FIGURE = r"{name}:\s+(-?inf|-?\d+(?:\.\d+)?)\s+{unit}"


@dataclass(frozen=True)
class Loudness:
    integrated_lufs: float
    true_peak_dbtp: float
    loudness_range_lu: float


def _codec_args(target: Path) -> list[str]:
    try:
        return AUDIO_CODECS[target.suffix.lower()]
    except KeyError:
        raise MediaError(f"no audio codec for {target.suffix!r} files") from None


def _summary_figure(summary: str, name: str, unit: str) -> float:
    found = re.findall(SUMMARY_FIGURE.format(name=name, unit=unit), summary)
    if not found:
        raise MediaError(f"ebur128 reported no {name} figure")
    return float(found[-1])


def measure_loudness(source: Path) -> Loudness:
    """Measure integrated loudness (LUFS), true peak (dBTP) and range of the first audio stream."""
    report = run_ffmpeg_report(
        ["-i", str(source), "-map", "0:a:0", "-af", "ebur128=peak=true", "-f", "null", "-"],
        timeout=FFMPEG_TIMEOUT,
    )
    summary = report[report.rfind("Summary:") :]
    return Loudness(
        integrated_lufs=_summary_figure(summary, "I", "LUFS"),
        true_peak_dbtp=_summary_figure(summary, "Peak", "dBFS"),
        loudness_range_lu=_summary_figure(summary, "LRA", "LU"),
    )


def _loudnorm(target_lufs: float, true_peak: float) -> str:
    return f"loudnorm=I={target_lufs}:TP={true_peak - TRUE_PEAK_MARGIN}:LRA={TARGET_LRA}"


def _first_pass(source: Path, base: str) -> dict[str, str]:
    report = run_ffmpeg_report(
        ["-i", str(source), "-map", "0:a:0", "-af", f"{base}:print_format=json", "-f", "null", "-"],
        timeout=FFMPEG_TIMEOUT,
    )
    block = report[report.rfind("{") : report.rfind("}") + 1]
    try:
        return dict(json.loads(block))
    except ValueError as exc:
        raise MediaError(f"loudnorm printed no measurement: {exc}") from exc


def normalise_loudness(
    source: Path,
    target: Path,
    *,
    target_lufs: float = TARGET_LUFS,
    true_peak_dbtp: float = TARGET_TRUE_PEAK,
    duration_seconds: float | None = None,
    partial: bool = False,
) -> Path:
    """Write target with its audio at target_lufs and under true_peak_dbtp; video is copied.

    duration_seconds, when given, ends the output there (loudnorm's last block can
    run a few milliseconds past its input). With partial, target appears only once whole.
    """
    base = _loudnorm(target_lufs, true_peak_dbtp)
    measured = _first_pass(source, base)
    second = (
        f"{base}:measured_I={measured['input_i']}:measured_TP={measured['input_tp']}"
        f":measured_LRA={measured['input_lra']}:measured_thresh={measured['input_thresh']}"
        f":offset={measured['target_offset']}:linear=true"
    )
    written = partial_path(target) if partial else target
    try:
        run_ffmpeg(
            ["-y", "-i", str(source), "-map", "0:v?", "-map", "0:a:0", "-c:v", "copy",
             "-af", second, "-ar", OUTPUT_RATE, *_codec_args(target),
             *(["-t", f"{duration_seconds:.6f}"] if duration_seconds else []), str(written)],
            timeout=FFMPEG_TIMEOUT,
        )  # fmt: skip
        if partial:
            os.replace(written, target)
    finally:
        if partial:
            written.unlink(missing_ok=True)
    return target


def trim_track(
    source: Path, target: Path, *, end_seconds: float, fade_seconds: float = 0.3
) -> Path:
    """Cut a soundtrack at end_seconds, fading out over its last fade_seconds."""
    if end_seconds <= 0:
        raise MediaError(f"cannot trim a track to {end_seconds} s")
    fade = min(fade_seconds, end_seconds)
    run_ffmpeg(
        ["-y", "-i", str(source), "-map", "0:a:0", "-t", f"{end_seconds:.6f}",
         "-af", f"afade=t=out:st={end_seconds - fade:.6f}:d={fade:.6f}",
         *_codec_args(target), str(target)],
        timeout=FFMPEG_TIMEOUT,
    )  # fmt: skip
    return target
