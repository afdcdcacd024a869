"""Audio uploads: check that a file really decodes as audio, and load it as samples."""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from fvs.media.ffmpeg import MediaError

MAX_AUDIO_BYTES = 200 * 1024 * 1024
MAX_AUDIO_SECONDS = 20 * 60.0
# A file that decodes to much less than its header promises has lost its tail.
TRUNCATION_SLACK_SECONDS = 0.5
TRUNCATION_SLACK_SHARE = 0.05

HEADER_BYTES = 4096

AudioSource = Path | str | bytes


class UnreadableAudio(MediaError):
    """The file is not audio we can decode; the message says why."""


@dataclass(frozen=True)
class AudioInfo:
    duration_seconds: float
    sample_rate: int
    channels: int
    codec: str


def _size(source: AudioSource) -> int:
    if isinstance(source, bytes):
        return len(source)
    try:
        return Path(source).stat().st_size
    except OSError as exc:
        raise UnreadableAudio(f"cannot read {source}: {exc}") from exc


def _open(source: AudioSource, *, max_bytes: int) -> av.container.InputContainer:
    size = _size(source)
    if size == 0:
        raise UnreadableAudio("the file is empty")
    if size > max_bytes:
        raise UnreadableAudio(f"the file is {size} bytes; audio is limited to {max_bytes}")
    target = io.BytesIO(source) if isinstance(source, bytes) else str(source)
    try:
        return av.open(target, mode="r")
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise UnreadableAudio(f"not a media file ffmpeg can read: {exc}") from exc


def _head(source: AudioSource) -> bytes:
    if isinstance(source, bytes):
        return source[:HEADER_BYTES]
    with Path(source).open("rb") as handle:
        return handle.read(HEADER_BYTES)


def _wav_is_short(head: bytes, size: int) -> bool:
    """True when a RIFF/WAVE header promises more sample data than the file holds."""
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return False
    offset = 12
    while offset + 8 <= len(head):
        kind, length = struct.unpack("<4sI", head[offset : offset + 8])
        # 0 and 0xFFFFFFFF mean "unknown length" (a stream written live).
        if kind == b"data":
            return 0 < length < 0xFFFFFFFF and offset + 8 + length > size
        offset += 8 + length + (length & 1)
    return False


def _audio_stream(container: av.container.InputContainer) -> av.audio.stream.AudioStream:
    if not container.streams.audio:
        kinds = ", ".join(sorted({s.type for s in container.streams})) or "no streams"
        raise UnreadableAudio(f"no audio stream (the file holds {kinds})")
    return container.streams.audio[0]


def _declared_seconds(container: av.container.InputContainer, stream: av.stream.Stream) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return 0.0


def _decoded_seconds(
    container: av.container.InputContainer, stream: av.audio.stream.AudioStream, limit: float
) -> float:
    samples = 0
    rate = stream.codec_context.sample_rate or 1
    try:
        for frame in container.decode(stream):
            samples += frame.samples
            # Bound the work even when the header lied about the duration.
            if samples > limit * rate:
                raise UnreadableAudio(f"the audio runs past the limit of {limit:.0f} s")
    except av.error.FFmpegError as exc:
        raise UnreadableAudio(f"the audio does not decode: {exc}") from exc
    return samples / rate


def _check_length(declared: float, decoded: float) -> None:
    if decoded <= 0:
        raise UnreadableAudio("the audio stream decodes to no samples")
    slack = max(TRUNCATION_SLACK_SECONDS, declared * TRUNCATION_SLACK_SHARE)
    if declared - decoded > slack:
        raise UnreadableAudio(
            f"the file is truncated: its header says {declared:.2f} s, only {decoded:.2f} s decodes"
        )


def decode_audio(
    source: AudioSource,
    *,
    max_seconds: float = MAX_AUDIO_SECONDS,
    max_bytes: int = MAX_AUDIO_BYTES,
) -> AudioInfo:
    """Decode every sample of the first audio stream, or raise UnreadableAudio saying why."""
    with _open(source, max_bytes=max_bytes) as container:
        stream = _audio_stream(container)
        if _wav_is_short(_head(source), _size(source)):
            raise UnreadableAudio("the file is truncated: its WAV header promises more samples")
        declared = _declared_seconds(container, stream)
        if declared > max_seconds:
            raise UnreadableAudio(
                f"the audio lasts {declared:.0f} s; the limit is {max_seconds:.0f} s"
            )
        decoded = _decoded_seconds(container, stream, max_seconds)
        _check_length(declared, decoded)
        ctx = stream.codec_context
        return AudioInfo(
            duration_seconds=decoded,
            sample_rate=ctx.sample_rate,
            channels=ctx.channels,
            codec=ctx.codec.canonical_name,
        )


def load_mono(source: AudioSource, *, sample_rate: int = 22050) -> np.ndarray:
    """Return the first audio stream as mono float32 samples at sample_rate."""
    resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
    chunks: list[np.ndarray] = []
    with _open(source, max_bytes=MAX_AUDIO_BYTES) as container:
        stream = _audio_stream(container)
        try:
            for frame in container.decode(stream):
                chunks.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(frame))
            chunks.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(None))
        except av.error.FFmpegError as exc:
            raise UnreadableAudio(f"the audio does not decode: {exc}") from exc
    if not chunks:
        raise UnreadableAudio("the audio stream decodes to no samples")
    return np.concatenate(chunks).astype(np.float32, copy=False)
