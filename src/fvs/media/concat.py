"""Joins clips into one film: a stream copy when they match, a re-encode when not."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from fvs.media.encode import (
    AUDIO_RATE,
    DELIVERY_FPS,
    audio_source_graph,
    delivery_args,
    partial_path,
)
from fvs.media.ffmpeg import MediaError, run_ffmpeg
from fvs.media.probe import MediaProbe, probe

JOIN_TIMEOUT_S = 1800.0


@dataclass(frozen=True)
class JoinResult:
    path: Path
    stream_copied: bool
    media: MediaProbe  # the joined file, probed once for every caller

    @property
    def duration_seconds(self) -> float:
        return self.media.duration_seconds


def stream_signature(info: MediaProbe) -> tuple[object, ...]:
    """Return the codec parameters that must match for clips to be joined by stream copy."""
    video, audio = info.video, info.audio
    if video is None:
        raise MediaError("a clip to join has no video stream")
    audio_part = (audio.codec, audio.sample_rate, audio.channels) if audio else None
    fps = round(video.fps, 3)
    return (
        video.codec,
        video.width,
        video.height,
        fps,
        video.pix_fmt,
        video.extradata_digest,
        audio_part,
    )


def _concat_list_line(path: Path) -> str:
    # The concat demuxer's quoting: close the quote, escape the quote, reopen.
    escaped = str(path.resolve()).replace("'", "'\\''")
    return f"file '{escaped}'\n"


def _copy_args(list_file: Path, out: Path) -> list[str]:
    return ["-f", "concat", "-safe", "0", "-i", str(list_file), "-map", "0", "-c", "copy",
            "-movflags", "+faststart", "-f", "mp4", "-y", str(out)]  # fmt: skip


def _reencode_args(clips: list[Path], probes: list[MediaProbe], out: Path) -> list[str]:
    first = probes[0].video
    assert first is not None
    width, height = first.width, first.height
    inputs = [arg for clip in clips for arg in ("-i", str(clip))]
    chains: list[str] = []
    pairs = ""
    # Silence sources come after every clip, so input N is always clip N.
    silences: list[str] = []
    next_input = len(clips)
    for index, info in enumerate(probes):
        seconds = f"{info.duration_seconds:.6f}"
        if info.audio is None:
            audio_in = f"[{next_input}:a:0]"
            next_input += 1
            silences += ["-f", "lavfi", "-t", seconds, "-i", audio_source_graph("silence")]
        else:
            audio_in = f"[{index}:a:0]"
        # Letterbox into the first clip's frame, so nothing is stretched or cropped.
        chains.append(
            f"[{index}:v:0]scale={width}:{height}:force_original_aspect_ratio=decrease,"
            f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1,"
            f"fps={DELIVERY_FPS},format=yuv420p,trim=duration={seconds}[v{index}]"
        )
        # Pad or trim each clip's audio to its video, so sound never drifts off picture.
        chains.append(
            f"{audio_in}aresample={AUDIO_RATE},aformat=channel_layouts=stereo,"
            f"apad,atrim=duration={seconds}[a{index}]"
        )
        pairs += f"[v{index}][a{index}]"
    chains.append(f"{pairs}concat=n={len(clips)}:v=1:a=1[v][a]")
    return [*inputs, *silences, "-filter_complex", ";".join(chains), "-map", "[v]", "-map", "[a]",
            *delivery_args(), "-y", str(out)]  # fmt: skip


def join_clips(clips: list[Path], out_path: Path) -> JoinResult:
    """Join clips in order into out_path, stream-copying when their codecs all match."""
    if not clips:
        raise ValueError("join_clips needs at least one clip")
    probes = [probe(clip) for clip in clips]
    signatures = {stream_signature(info) for info in probes}
    copy = len(signatures) == 1 and probes[0].audio is not None
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = partial_path(out_path)
    try:
        if copy:
            with tempfile.TemporaryDirectory() as folder:
                list_file = Path(folder) / "clips.txt"
                list_file.write_text("".join(_concat_list_line(c) for c in clips))
                run_ffmpeg(_copy_args(list_file, tmp), timeout=JOIN_TIMEOUT_S)
        else:
            run_ffmpeg(_reencode_args(clips, probes, tmp), timeout=JOIN_TIMEOUT_S)
        os.replace(tmp, out_path)
    finally:
        tmp.unlink(missing_ok=True)
    return JoinResult(out_path, copy, probe(out_path))
