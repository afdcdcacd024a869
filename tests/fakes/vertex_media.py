"""Real media for the fake Vertex server: MP4 clips, PNG images and PCM speech."""

from __future__ import annotations

import io
import math
import tempfile
import threading
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from fvs.media.encode import ClipEncoder

TTS_RATE = 24_000
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
