from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest

from fvs.media.audio import decode_audio, load_mono
from fvs.media.ffmpeg import MediaError, run_ffmpeg
from fvs.media.loudness import measure_loudness, normalise_loudness, trim_track
from fvs.media.probe import probe
from tests.media.signals import tone, write_wav

RATE = 44100


def quiet(tmp_path: Path) -> Path:
    return write_wav(tmp_path / "quiet.wav", tone(8.0, level=0.01, hz=220), rate=RATE)


def loud_clipped(tmp_path: Path) -> Path:
    noise = np.random.default_rng(0).standard_normal(8 * RATE) * 0.3
    return write_wav(tmp_path / "loud.wav", np.clip(tone(8.0, level=3.0) + noise, -1, 1))


def punchy(tmp_path: Path) -> Path:
    """Sparse drum hits near full scale: peaks far above the average, so the ceiling binds."""
    samples = np.zeros(8 * RATE)
    t = np.arange(int(0.15 * RATE)) / RATE
    hit = 0.95 * np.sin(2 * np.pi * 80 * t) * np.exp(-t / 0.04)
    for start in range(0, len(samples) - len(hit), RATE // 2):
        samples[start : start + len(hit)] += hit
    return write_wav(tmp_path / "punchy.wav", samples + tone(8.0, level=0.02), rate=RATE)


def test_measurement_agrees_with_pyloudnorm(tmp_path: Path) -> None:
    samples = tone(6.0, level=0.1, hz=997)
    path = write_wav(tmp_path / "t.wav", samples, rate=RATE)
    measured = measure_loudness(path)
    reference = pyloudnorm.Meter(RATE).integrated_loudness(samples)
    assert measured.integrated_lufs == pytest.approx(reference, abs=0.3)
    assert measured.true_peak_dbtp == pytest.approx(-20.0, abs=0.3)


@pytest.mark.parametrize("make", [quiet, loud_clipped], ids=["quiet", "loud-clipped"])
@pytest.mark.parametrize("suffix", [".wav", ".m4a"])
def test_normalised_delivery_meets_the_target(
    make: Callable[[Path], Path], suffix: str, tmp_path: Path
) -> None:
    source = make(tmp_path)
    before = measure_loudness(source)
    assert abs(before.integrated_lufs + 14) > 5
    delivered = normalise_loudness(source, tmp_path / f"out{suffix}")
    after = measure_loudness(delivered)
    assert after.integrated_lufs == pytest.approx(-14.0, abs=1.0)
    assert after.true_peak_dbtp <= -1.0


def test_the_peak_ceiling_wins_over_the_target(tmp_path: Path) -> None:
    source = punchy(tmp_path)
    before = measure_loudness(source)
    after = measure_loudness(normalise_loudness(source, tmp_path / "out.wav"))
    assert after.true_peak_dbtp <= -1.0
    # Linear gain only: as loud as the ceiling allows, peaks and loudness moved together.
    gain = after.true_peak_dbtp - before.true_peak_dbtp
    assert after.integrated_lufs == pytest.approx(before.integrated_lufs + gain, abs=0.5)
    assert after.integrated_lufs < -14.0


def test_video_is_copied_untouched(tmp_path: Path) -> None:
    audio = loud_clipped(tmp_path)
    clip = tmp_path / "clip.mp4"
    picture = "testsrc=size=160x90:rate=24:duration=4"
    run_ffmpeg(["-y", "-f", "lavfi", "-i", picture, "-i", str(audio),
                "-shortest", "-c:v", "libx264", "-c:a", "aac", str(clip)])  # fmt: skip
    out = normalise_loudness(clip, tmp_path / "out.mp4")
    before, after = probe(clip), probe(out)
    assert after.video is not None and before.video is not None
    assert after.video.extradata_digest == before.video.extradata_digest
    assert after.video.frame_count == before.video.frame_count
    assert measure_loudness(out).integrated_lufs == pytest.approx(-14.0, abs=1.0)


def test_trim_cuts_with_a_fade(tmp_path: Path) -> None:
    source = write_wav(tmp_path / "s.wav", tone(6.0, level=0.5), rate=RATE)
    out = trim_track(source, tmp_path / "t.wav", end_seconds=3.7, fade_seconds=0.3)
    assert decode_audio(out).duration_seconds == pytest.approx(3.7, abs=0.01)
    samples = load_mono(out, sample_rate=RATE)
    assert np.abs(samples[-200:]).max() < 0.02
    assert np.abs(samples[:RATE]).max() > 0.45
    with pytest.raises(MediaError):
        trim_track(source, tmp_path / "x.ogv", end_seconds=2)
