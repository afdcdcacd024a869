"""What a media file holds, read with PyAV; and two cheap structural checks."""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from pathlib import Path

import av

from fvs.media.ffmpeg import MediaError


@dataclass(frozen=True)
class VideoInfo:
    codec: str
    width: int
    height: int
    fps: float
    pix_fmt: str
    frame_count: int | None  # from the container index; None when it does not say
    duration: float | None
    # SPS/PPS: clips joined by stream copy must share them, or frames decode wrongly.
    extradata_digest: str | None = None


@dataclass(frozen=True)
class AudioInfo:
    codec: str
    sample_rate: int
    channels: int
    duration: float | None


@dataclass(frozen=True)
class MediaProbe:
    duration_seconds: float
    format_name: str
    video: VideoInfo | None
    audio: AudioInfo | None


def _stream_seconds(stream: av.stream.Stream) -> float | None:
    if stream.duration is None or stream.time_base is None:
        return None
    return float(stream.duration * stream.time_base)


def _video_info(stream: av.video.stream.VideoStream) -> VideoInfo:
    rate = stream.average_rate or stream.base_rate or stream.guessed_rate
    ctx = stream.codec_context
    return VideoInfo(
        codec=ctx.name,
        width=ctx.width,
        height=ctx.height,
        fps=float(rate) if rate else 0.0,
        pix_fmt=ctx.pix_fmt or "",
        frame_count=stream.frames or None,
        duration=_stream_seconds(stream),
        extradata_digest=hashlib.sha256(ctx.extradata).hexdigest() if ctx.extradata else None,
    )


def _audio_info(stream: av.audio.stream.AudioStream) -> AudioInfo:
    ctx = stream.codec_context
    return AudioInfo(
        codec=ctx.name,
        sample_rate=ctx.sample_rate,
        channels=ctx.channels,
        duration=_stream_seconds(stream),
    )


def probe(path: Path) -> MediaProbe:
    """Read the container and stream headers of a media file; decodes nothing."""
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as exc:
        raise MediaError(f"cannot open {path}: {exc}") from exc
    with container:
        video = next((_video_info(s) for s in container.streams.video), None)
        audio = next((_audio_info(s) for s in container.streams.audio), None)
        if container.duration is not None:
            duration = container.duration / av.time_base
        else:
            known = [x.duration for x in (video, audio) if x and x.duration is not None]
            duration = max(known, default=0.0)
        return MediaProbe(
            duration_seconds=float(duration),
            format_name=container.format.name,
            video=video,
            audio=audio,
        )


def keyframe_times(path: Path) -> list[float]:
    """Return the presentation times of the video keyframes, from packets alone."""
    with av.open(str(path)) as container:
        if not container.streams.video:
            return []
        stream = container.streams.video[0]
        start = stream.start_time or 0
        time_base = stream.time_base or 1
        times = [
            float((packet.pts - start) * time_base)
            for packet in container.demux(stream)
            if packet.is_keyframe and packet.pts is not None
        ]
    return sorted(times)


def _top_level_boxes(path: Path) -> list[str]:
    """Return the types of an MP4's top-level boxes, in file order, reading headers only."""
    types: list[str] = []
    with Path(path).open("rb") as handle:
        while header := handle.read(8):
            if len(header) < 8:
                break
            size, kind = struct.unpack(">I4s", header)
            skip = size - 8
            if size == 1:  # a 64-bit size follows the type
                skip = struct.unpack(">Q", handle.read(8))[0] - 16
            elif size == 0:  # the box runs to the end of the file
                types.append(kind.decode("latin-1"))
                break
            types.append(kind.decode("latin-1"))
            if skip < 0:
                raise MediaError(f"{path} has a malformed MP4 box header")
            handle.seek(skip, 1)
    return types


def is_faststart(path: Path) -> bool:
    """Return True when the MP4 index (moov) comes before the media data (mdat)."""
    types = _top_level_boxes(path)
    if "moov" not in types:
        return False
    return "mdat" not in types or types.index("moov") < types.index("mdat")
