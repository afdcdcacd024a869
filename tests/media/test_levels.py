"""Even loudness: clips levelled before joining, the film normalised, silence left silent."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fvs.media.concat import join_clips
from fvs.media.encode import ClipEncoder, audio_encode_args, container_args
from fvs.media.ffmpeg import run_ffmpeg
from fvs.media.levels import even_out, is_silent
from fvs.media.loudness import Loudness, measure_loudness, normalise_loudness
from tests.media.signals import tone, write_wav

SECONDS = 4


def clip_with_sound(folder: Path, name: str, level: float | None) -> Path:
    """A 4 s clip whose sound is a tone at `level` (None: silence, as a muted clip has)."""
    picture = folder / f"{name}-picture.mp4"
    frames = 24 * SECONDS
    with ClipEncoder(
        picture, width=160, height=90, fps=24, frame_count=frames, audio="silence"
    ) as enc:
        for _ in range(frames):
            enc.write(np.full((90, 160, 3), 90, np.uint8))
    if level is None:
        return picture
    sound = write_wav(folder / f"{name}.wav", tone(SECONDS, level=level, hz=330), rate=48000)
    out = folder / f"{name}.mp4"
    run_ffmpeg(["-y", "-i", str(picture), "-i", str(sound), "-map", "0:v", "-map", "1:a",
                "-c:v", "copy", *audio_encode_args(), *container_args(), str(out)])  # fmt: skip
    return out


def segment_loudness(film: Path, start: float, folder: Path) -> float:
    piece = folder / f"piece-{start}.wav"
    run_ffmpeg(["-y", "-ss", str(start + 0.5), "-t", str(SECONDS - 1), "-i", str(film),
                "-map", "0:a:0", str(piece)])  # fmt: skip
    return measure_loudness(piece).integrated_lufs


@pytest.mark.slow
def test_shots_at_very_different_levels_come_out_even_and_at_the_target(tmp_path: Path) -> None:
    clips = [
        clip_with_sound(tmp_path, "loud", 0.9),
        clip_with_sound(tmp_path, "quiet", 0.005),
        clip_with_sound(tmp_path, "muted", None),
        clip_with_sound(tmp_path, "middle", 0.1),
    ]
    before = [measure_loudness(c).integrated_lufs for c in clips]
    assert before[0] - before[1] > 40  # as models hand them back
    evened = even_out(clips, tmp_path / "evened")
    assert evened[2] == clips[2]  # silent by design: left alone
    joined = join_clips(evened, tmp_path / "joined.mp4")
    assert joined.stream_copied  # levelling re-encodes audio the same way: still a stream copy
    final = normalise_loudness(joined.path, tmp_path / "final.mp4", partial=True)
    loudness = measure_loudness(final)
    assert abs(loudness.integrated_lufs + 14) <= 1 and loudness.true_peak_dbtp <= -1
    levels = [segment_loudness(final, i * SECONDS, tmp_path) for i in range(4)]
    heard = [levels[0], levels[1], levels[3]]
    assert max(heard) - min(heard) <= 3.0, levels
    assert levels[2] < -60  # the muted shot stays silent
    assert not list(tmp_path.glob(".final*partial*"))


def test_silence_is_not_levelled() -> None:
    assert is_silent(Loudness(integrated_lufs=-70.0, true_peak_dbtp=-120.0, loudness_range_lu=0))
    assert not is_silent(Loudness(integrated_lufs=-45.0, true_peak_dbtp=-30.0, loudness_range_lu=0))
