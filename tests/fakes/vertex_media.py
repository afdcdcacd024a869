"""Real media for the fake Vertex server: MP4 clips, PNG images, PCM speech and WAV music."""

from __future__ import annotations

import functools
import io
import math
import tempfile
import threading
import wave
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from fvs.media.encode import ClipEncoder

TTS_RATE = 24_000
MUSIC_RATE = 48_000  # Lyria 2's 30 s clips: 48 kHz stereo WAV
MUSIC_SECONDS = 30
_CLIPS: dict[tuple[int, int, int, bool], bytes] = {}  # shared by every fake: encoding is slow
_CLIPS_LOCK = threading.Lock()


def clip_bytes(seconds: int, width: int, height: int, audio: bool) -> bytes:
    """A real delivery-format MP4 (H.264 + AAC, 24 fps) of a moving bar, cached by shape."""
    key = (seconds, width, height, audio)
    with _CLIPS_LOCK:
        if key not in _CLIPS:
            frames = seconds * 24
            base = np.zeros((height, width, 3), dtype=np.uint8)
            base[..., 2] = np.linspace(40, 200, width, dtype=np.uint8)
            with tempfile.TemporaryDirectory() as tmp:
                out = Path(tmp) / "clip.mp4"
                kind = "ambience" if audio else "silence"
                with ClipEncoder(
                    out, width=width, height=height, fps=24, frame_count=frames, audio=kind
                ) as encoder:
                    for n in range(frames):
                        frame = base.copy()
                        x = n * width // frames
                        frame[:, x : x + width // 16, :] = 230
                        encoder.write(frame)
                _CLIPS[key] = out.read_bytes()
        return _CLIPS[key]


def png_bytes(width: int, height: int) -> bytes:
    """A gradient with a simple standing figure, as PNG."""
    ramp = np.linspace(60, 220, height, dtype=np.uint8)[:, None]
    pixels = np.dstack([np.broadcast_to(ramp, (height, width))] * 3).copy()
    pixels[..., 0] //= 2
    image = Image.fromarray(pixels, "RGB")
    draw = ImageDraw.Draw(image)
    cx, unit = width // 2, max(2, height // 10)
    draw.ellipse((cx - unit, 2 * unit, cx + unit, 4 * unit), fill=(200, 60, 60))
    draw.rectangle((cx - unit, 4 * unit, cx + unit, 8 * unit), fill=(60, 60, 200))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def pcm_bytes(text: str) -> bytes:
    """A 440 Hz tone, 16-bit little-endian mono, longer for longer text."""
    seconds = max(0.5, 0.05 * len(text))
    t = np.arange(int(seconds * TTS_RATE)) / TTS_RATE
    return (np.sin(2 * math.pi * 440 * t) * 8000).astype("<i2").tobytes()


@functools.lru_cache(maxsize=16)  # synthesis is the fake's cost, not the client's
def music_wav_bytes(seed: int, seconds: float = MUSIC_SECONDS) -> bytes:
    """A 48 kHz stereo 16-bit WAV: a chord whose root the seed picks, pulsing at 120 BPM."""
    t = np.arange(int(seconds * MUSIC_RATE)) / MUSIC_RATE
    root = 110.0 * 2 ** ((seed % 12) / 12)
    chord = sum(np.sin(2 * math.pi * root * ratio * t) for ratio in (1.0, 1.25, 1.5))
    pulse = 0.6 + 0.4 * np.exp(-(t % 0.5) / 0.08)  # a beat every half second
    left = np.asarray(chord) * pulse / 3
    right = np.roll(left, MUSIC_RATE // 100)  # a slight delay, so the channels differ
    pcm = (np.stack([left, right], axis=1) * 12000).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(MUSIC_RATE)
        out.writeframes(pcm.tobytes())
    return buffer.getvalue()
