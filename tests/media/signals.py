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
