"""A music video's final cut: clips trimmed to beat-exact frames over the soundtrack.

Each shot spans frames round(start * fps) to round(end * fps), so every cut lands
within half a frame of its beat and the film lasts round(end * fps) frames: the
track's length to the frame. The clips' own sound is dropped (mute), compressed under
the music by a sidechain keyed on it (duck), or mixed in at full level (keep). The
mix is then normalised to -14 LUFS with true peak at or under -1 dBTP, and the video
stream is copied through that second pass untouched.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from fvs.media.concat import JoinResult
from fvs.media.encode import (
    AUDIO_RATE,
    DELIVERY_FPS,
    audio_source_graph,
    partial_path,
    video_encode_args,
)
from fvs.media.ffmpeg import MediaError, run_ffmpeg
from fvs.media.loudness import Loudness, measure_loudness, normalise_loudness
from fvs.media.probe import probe

ClipAudio = Literal["mute", "duck", "keep"]
ASSEMBLE_TIMEOUT_S = 1800.0
FADE_OUT_SECONDS = 0.5  # a track cut short of its end fades out over this long
# The clips' sound under the music: pressed down 8:1 whenever the music passes -26 dBFS.
DUCK = "sidechaincompress=threshold=0.05:ratio=8:attack=20:release=400:makeup=1"
STEREO = f"aresample={AUDIO_RATE},aformat=sample_fmts=fltp:channel_layouts=stereo"


@dataclass(frozen=True)
class Span:
    """One shot's place on the track, in seconds."""

    start_seconds: float
    end_seconds: float


@dataclass(frozen=True)
class MusicCut:
    joined: JoinResult
    loudness: Loudness  # of the delivered file


def frame_edges(spans: Sequence[Span], fps: int = DELIVERY_FPS) -> list[int]:
    """The frame each shot starts on, then the film's last frame: beat times rounded."""
    edges = [round(s.start_seconds * fps) for s in spans] + [round(spans[-1].end_seconds * fps)]
    if edges[0] != 0 or any(b <= a for a, b in zip(edges, edges[1:], strict=False)):
        raise MediaError(f"shot spans must start at 0 and each last a frame or more: {edges}")
    return edges


def _video_chains(clips: Sequence[Path], edges: list[int], width: int, height: int) -> list[str]:
    chains = []
    for i in range(len(clips)):
        frames = edges[i + 1] - edges[i]
        # A clip a frame short of its span holds its last frame rather than shortening the cut.
        chains.append(
            f"[{i}:v:0]fps={DELIVERY_FPS},scale={width}:{height}:force_original_aspect_ratio="
            f"decrease,pad={width}:{height}:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1,"
            f"format=yuv420p,tpad=stop_mode=clone:stop=-1,trim=end_frame={frames},"
            f"setpts=PTS-STARTPTS[v{i}]"
        )
    pads = "".join(f"[v{i}]" for i in range(len(clips)))
    chains.append(f"{pads}concat=n={len(clips)}:v=1:a=0[v]")
    return chains


def _music_chain(track_input: int, seconds: float, fade: bool) -> str:
    fading = (
        f",afade=t=out:st={max(0.0, seconds - FADE_OUT_SECONDS):.6f}:d={FADE_OUT_SECONDS}"
        if fade
        else ""
    )
    return (
        f"[{track_input}:a:0]{STEREO},atrim=end={seconds:.6f}{fading},apad,"
        f"atrim=end={seconds:.6f},asetpts=PTS-STARTPTS[music]"
    )


def _clip_sound_chains(audio_inputs: list[int], edges: list[int]) -> list[str]:
    chains = []
    for i, source in enumerate(audio_inputs):
        seconds = (edges[i + 1] - edges[i]) / DELIVERY_FPS
        chains.append(
            f"[{source}:a:0]{STEREO},apad,atrim=end={seconds:.6f},asetpts=PTS-STARTPTS[a{i}]"
        )
    pads = "".join(f"[a{i}]" for i in range(len(audio_inputs)))
    chains.append(f"{pads}concat=n={len(audio_inputs)}:v=0:a=1[clips]")
    return chains


def _mix_chains(clip_audio: ClipAudio) -> list[str]:
    if clip_audio == "mute":
        return ["[music]anull[mix]"]
    if clip_audio == "duck":
        return [
            "[music]asplit=2[key][bed]",
            f"[clips][key]{DUCK}[ducked]",
            "[bed][ducked]amix=inputs=2:duration=first:normalize=0[mix]",
        ]
    return ["[music][clips]amix=inputs=2:duration=first:normalize=0[mix]"]


def _assemble_args(
    clips: Sequence[Path],
    edges: list[int],
    track: Path,
    *,
    clip_audio: ClipAudio,
    fade: bool,
    out: Path,
) -> list[str]:
    probes = [probe(clip) for clip in clips]  # once each: size from the first, sound from all
    first = probes[0].video
    if first is None:
        raise MediaError(f"{clips[0].name} has no video stream")
    seconds = edges[-1] / DELIVERY_FPS
    inputs = [arg for clip in clips for arg in ("-i", str(clip))] + ["-i", str(track)]
    chains = _video_chains(clips, edges, first.width, first.height)
    chains.append(_music_chain(len(clips), seconds, fade))
    if clip_audio != "mute":
        # A clip filmed without sound lends silence, so input numbers stay in shot order.
        audio_inputs, extra = [], len(clips) + 1
        for index, info in enumerate(probes):
            if info.audio is not None:
                audio_inputs.append(index)
                continue
            inputs += ["-f", "lavfi", "-i", audio_source_graph("silence")]
            audio_inputs.append(extra)
            extra += 1
        chains += _clip_sound_chains(audio_inputs, edges)
    chains += _mix_chains(clip_audio)
    return [*inputs, "-filter_complex", ";".join(chains), "-map", "[v]", "-map", "[mix]",
            *video_encode_args(), "-c:a", "pcm_s16le", "-ar", str(AUDIO_RATE),
            "-f", "mov", "-y", str(out)]  # fmt: skip


def cut_to_music(
    clips: Sequence[Path],
    spans: Sequence[Span],
    track: Path,
    out_path: Path,
    *,
    clip_audio: ClipAudio = "mute",
    fade_out: bool = False,
) -> MusicCut:
    """Write out_path: the clips cut at their spans' frames, over the track, loudness-normalised."""
    if not clips or len(clips) != len(spans):
        raise ValueError("cut_to_music needs one span per clip")
    edges = frame_edges(spans)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = partial_path(out_path)
    with tempfile.TemporaryDirectory() as folder:
        mixed = Path(folder) / "mixed.mov"
        run_ffmpeg(
            _assemble_args(clips, edges, track, clip_audio=clip_audio, fade=fade_out, out=mixed),
            timeout=ASSEMBLE_TIMEOUT_S,
        )
        try:
            normalise_loudness(mixed, tmp, duration_seconds=edges[-1] / DELIVERY_FPS)
            os.replace(tmp, out_path)
        finally:
            tmp.unlink(missing_ok=True)
    joined = JoinResult(out_path, stream_copied=False, media=probe(out_path))
    return MusicCut(joined=joined, loudness=measure_loudness(out_path))
