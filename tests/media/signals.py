"""Generated test signals, written as WAV and encoded with the bundled ffmpeg."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from fvs.media.ffmpeg import run_ffmpeg


def tone(seconds: float, *, rate: int = 44100, hz: float = 440.0, level: float = 0.5) -> np.ndarray:
    """Return a sine tone with a little vibrato, as float samples in [-1, 1]."""
    t = np.arange(int(seconds * rate)) / rate
    return level * np.sin(2 * np.pi * hz * t + 0.3 * np.sin(2 * np.pi * 3 * t))


def write_wav(path: Path, samples: np.ndarray, *, rate: int = 44100) -> Path:
    """Write float samples (mono, or frames x channels) as 16-bit PCM WAV."""
    frames = samples if samples.ndim == 2 else samples[:, None]
    pcm = (np.clip(frames, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(pcm.shape[1])
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
    return path


def encode(source: Path, target: Path, *codec_args: str) -> Path:
    """Encode an audio file with ffmpeg (codec chosen by the arguments)."""
    run_ffmpeg(["-y", "-i", str(source), *codec_args, str(target)])
    return target


def _hit(rate: int, hz: float, seconds: float = 0.12) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return np.sin(2 * np.pi * hz * t) * np.exp(-t / 0.03)


def _pad(t: np.ndarray, roots: tuple[float, ...], harmonics: int) -> np.ndarray:
    return sum(
        np.sin(2 * np.pi * root * k * t) / k for root in roots for k in range(1, harmonics + 1)
    )


def two_part_track(
    *, bpm: float = 97.0, first_beat: float = 0.3, beats: int = 96, rate: int = 22050
) -> tuple[np.ndarray, np.ndarray, int]:
    """A drum pattern over two contrasting halves (key and timbre change at the middle).

    Returns the samples, the true beat times, and the index of the first accented beat:
    beats 1, 5, 9, ... are the downbeats, so the track opens on an upbeat.
    """
    period = 60.0 / bpm
    times = first_beat + period * np.arange(beats)
    total = times[-1] + period
    t = np.arange(int(total * rate)) / rate
    half = first_beat + period * (beats // 2 + 1)
    first = _pad(t, (261.6, 329.6, 392.0), 1)
    second = _pad(t, (370.0, 466.2, 554.4), 6) * 0.6
    y = 0.04 * np.where(t < half, first, second)
    for i, at in enumerate(times):
        start = int(round(at * rate))
        accented = i % 4 == 1
        hit = _hit(rate, 60.0 if accented else 180.0) * (1.0 if accented else 0.4)
        y[start : start + len(hit)] += hit[: len(y) - start]
    return y / np.abs(y).max() * 0.8, times, 1
