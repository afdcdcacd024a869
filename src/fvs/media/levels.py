"""Even loudness across a film: every clip with sound brought to one level before joining.

Models hand back clips at whatever loudness they like; cut together, the film jumps
between them. Each clip's audio is levelled to CLIP_LUFS (one loudnorm pass, video
copied), so no two shots differ by more than a few tenths of a LU; a clip quieter
than SILENT_LUFS is silent by design (a muted or silent clip) and left as it is. The
joined film is then normalised to the delivery target by loudness.normalise_loudness.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fvs.media.encode import audio_encode_args, container_args
from fvs.media.ffmpeg import run_ffmpeg
from fvs.media.loudness import Loudness, measure_loudness
from fvs.media.probe import probe

CLIP_LUFS = -20.0  # under the delivery target, so levelling itself never needs a limiter
CLIP_TRUE_PEAK = -2.0
SILENT_LUFS = -60.0
LEVEL_TIMEOUT_S = 600.0


def is_silent(loudness: Loudness) -> bool:
    """True for a clip with no sound worth levelling (ebur128 reports -70 LUFS for silence)."""
    return loudness.integrated_lufs < SILENT_LUFS


def level_clip(source: Path, target: Path) -> Path:
    """Write target: source with its audio levelled to CLIP_LUFS; the video stream is copied."""
    levelled = f"loudnorm=I={CLIP_LUFS}:TP={CLIP_TRUE_PEAK}:LRA=20"
    run_ffmpeg(
        ["-y", "-i", str(source), "-map", "0:v:0", "-map", "0:a:0", "-c:v", "copy",
         "-af", levelled, *audio_encode_args(), *container_args(), str(target)],
        timeout=LEVEL_TIMEOUT_S,
    )  # fmt: skip
    return target


def even_out(clips: Sequence[Path], folder: Path) -> list[Path]:
    """The clips with sound levelled into folder (same names); silent or soundless ones as is."""
    folder.mkdir(parents=True, exist_ok=True)
    evened = []
    for clip in clips:
        if probe(clip).audio is None or is_silent(measure_loudness(clip)):
            evened.append(clip)
        else:
            evened.append(level_clip(clip, folder / clip.name))
    return evened
