"""Transitions between shots, rendered only where they are.

A crossfade or a dip to black overlaps two shots by `seconds`, so it uses up that much
running time. The film is assembled as pieces: each clip's middle is stream-copied
packet for packet, from a keyframe to the packet before a keyframe, and only the span
around each transition (from the last keyframe of the outgoing clip that leaves room for
the overlap, to the first keyframe of the incoming clip after it) is decoded, blended
and re-encoded with the clips' own encoder settings. Clips carry keyframes a second
inside both ends (encode.edge_keyframe_args), so each span is about two seconds and the
cost grows with the number of transitions, not the film's length.

The pieces can be joined only when a re-encoded span carries the clips' own SPS/PPS;
when it does not (clips from another encoder), or when spans would collide, the whole
film is re-encoded in one filter graph instead. The sound is mixed in one pass with
matching crossfades (cheap beside any video encode). `cut` and `continuous` are hard
cuts here: a continuous shot was filmed to end on the next shot's keyframe.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from fvs.media.concat import JoinResult, join_clips, stream_signature
from fvs.media.encode import (
    AUDIO_RATE,
    DELIVERY_FPS,
    audio_encode_args,
    audio_source_graph,
    container_args,
    delivery_args,
    partial_path,
    video_encode_args,
)
from fvs.media.ffmpeg import MediaError, run_ffmpeg
from fvs.media.probe import MediaProbe, probe

KINDS = ("cut", "crossfade", "dip_to_black", "continuous")
# The transitions that overlap their two shots by `seconds`.
OVERLAPPING = ("crossfade", "dip_to_black")
MIN_SECONDS, MAX_SECONDS, DEFAULT_SECONDS = 0.2, 1.0, 0.5
ASSEMBLE_TIMEOUT_S = 1800.0


@dataclass(frozen=True)
class Transition:
    """How one shot gives way to the next."""

    kind: str = "cut"
    seconds: float = DEFAULT_SECONDS

    @property
    def overlaps(self) -> bool:
        return self.kind in OVERLAPPING

    def overlap_frames(self, fps: int = DELIVERY_FPS) -> int:
        """Frames the two shots share; zero for a cut."""
        return max(1, round(self.seconds * fps)) if self.overlaps else 0


CUT = Transition()


def pair_graph(a: str, b: str, a_frames: int, transition: Transition, out: str) -> str:
    """Filter chains joining streams a (a_frames long) and b through one transition.

    A crossfade blends a's last overlap frames with b's first. A dip to black fades a out
    over the first half of the same window and b in over the second: the window's middle
    frame is black, and the film loses the same overlap either way.
    """
    fps, overlap = DELIVERY_FPS, transition.overlap_frames()
    if transition.kind == "crossfade":
        return (
            f"{a}{b}xfade=transition=fade:duration={overlap / fps:.6f}"
            f":offset={(a_frames - overlap) / fps:.6f}{out}"
        )
    if transition.kind == "dip_to_black":
        fade_in = overlap // 2
        fade_out = overlap - fade_in
        kept = a_frames - fade_in
        return (
            f"{a}trim=end_frame={kept},fade=t=out:start_frame={kept - fade_out}"
            f":nb_frames={fade_out}[{out[1:-1]}a];"
            f"{b}trim=start_frame={fade_out},setpts=PTS-STARTPTS,"
            f"fade=t=in:start_frame=0:nb_frames={fade_in}[{out[1:-1]}b];"
            f"[{out[1:-1]}a][{out[1:-1]}b]concat=n=2:v=1:a=0{out}"
        )
    return f"{a}{b}concat=n=2:v=1:a=0{out}"


def overlap_seconds(transitions: Sequence[Transition], fps: int = DELIVERY_FPS) -> float:
    """Running time the transitions use up, to the frame."""
    return sum(t.overlap_frames(fps) for t in transitions) / fps


@dataclass(frozen=True)
class ClipLayout:
    """A clip's video packets in presentation order: frame count and keyframe indices."""

    path: Path
    frames: int
    keyframes: tuple[int, ...]


@dataclass(frozen=True)
class Piece:
    """A run of the film: frames [start, end) of a clip copied, or a re-encoded file."""

    path: Path
    start: int
    end: int


def read_layout(path: Path) -> ClipLayout:
    """Read a clip's frame count and keyframe positions from its packets; decodes nothing."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        packets = [(p.pts, p.is_keyframe) for p in container.demux(stream) if p.pts is not None]
    packets.sort()
    keys = tuple(i for i, (_, key) in enumerate(packets) if key)
    if not keys or keys[0] != 0:
        raise MediaError(f"{path.name} does not open on a keyframe")
    return ClipLayout(path, len(packets), keys)


def _head_end(layout: ClipLayout, overlap: int) -> int | None:
    """The first keyframe at or after the incoming overlap: copying may start there."""
    return next((k for k in layout.keyframes if k >= overlap), None) if overlap else 0


def _tail_start(layout: ClipLayout, overlap: int) -> int:
    """The last keyframe that leaves room for the outgoing overlap: copying stops there."""
    if not overlap:
        return layout.frames
    return max(k for k in layout.keyframes if k <= layout.frames - overlap)


@dataclass(frozen=True)
class Window:
    """One transition's re-encoded span: outgoing clip from `tail`, incoming up to `head`."""

    index: int  # the transition between clip index and index + 1
    tail: int
    head: int
    transition: Transition


def plan_windows(
    layouts: Sequence[ClipLayout], transitions: Sequence[Transition]
) -> tuple[list[tuple[int, int]], list[Window]] | None:
    """Each clip's copied frame range and each overlapping transition's window; None when
    a clip has no room to copy between its two windows (the film is re-encoded instead)."""
    overlaps = [t.overlap_frames() for t in transitions]
    ranges: list[tuple[int, int]] = []
    for i, layout in enumerate(layouts):
        head = _head_end(layout, overlaps[i - 1] if i else 0)
        tail = _tail_start(layout, overlaps[i] if i < len(transitions) else 0)
        if head is None or head > tail:
            return None
        ranges.append((head, tail))
    windows = [
        Window(i, ranges[i][1], ranges[i + 1][0], t)
        for i, t in enumerate(transitions)
        if t.overlaps
    ]
    return ranges, windows


def _window_args(window: Window, outgoing: ClipLayout, incoming: Path, out: Path) -> list[str]:
    fps = DELIVERY_FPS
    tail_frames = outgoing.frames - window.tail
    overlap = window.transition.overlap_frames()
    frames = tail_frames + window.head - overlap
    # Seek to the keyframe itself, rounded down to the microsecond: ffmpeg lands on it
    # (a hair earlier would decode from the keyframe before) and keeps it (later drops it).
    seek = math.floor(window.tail * 1_000_000 / fps) / 1_000_000
    graph = (
        f"[0:v]settb=1/{fps * 512},setpts=PTS-STARTPTS[a];"
        f"[1:v]trim=end_frame={window.head},settb=1/{fps * 512},setpts=PTS-STARTPTS[b];"
        + pair_graph("[a]", "[b]", tail_frames, window.transition, "[v]")
    )
    return ["-ss", f"{seek:.6f}", "-i", str(outgoing.path),
            "-t", f"{(window.head + 0.5) / fps:.6f}", "-i", str(incoming),
            "-filter_complex", graph, "-map", "[v]", "-frames:v", str(frames),
            *video_encode_args(), "-an", *container_args(), "-y", str(out)]  # fmt: skip


def _extradata_digest(path: Path) -> str | None:
    info = probe(path).video
    return info.extradata_digest if info else None


def _render_windows(
    layouts: Sequence[ClipLayout], windows: Sequence[Window], folder: Path
) -> list[Path] | None:
    """Re-encode each window; None as soon as one does not share the clips' SPS/PPS."""
    wanted = _extradata_digest(layouts[0].path)
    rendered = []
    for window in windows:
        out = folder / f"window-{window.index:03d}.mp4"
        incoming = layouts[window.index + 1].path
        run_ffmpeg(_window_args(window, layouts[window.index], incoming, out), timeout=600)
        if wanted is None or _extradata_digest(out) != wanted:
            return None
        rendered.append(out)
    return rendered


def _pieces(
    layouts: Sequence[ClipLayout],
    ranges: Sequence[tuple[int, int]],
    windows: Sequence[Window],
    rendered: Sequence[Path],
) -> list[Piece]:
    by_clip = {w.index: (w, path) for w, path in zip(windows, rendered, strict=True)}
    pieces: list[Piece] = []
    for i, layout in enumerate(layouts):
        start, end = ranges[i]
        if end > start:
            pieces.append(Piece(layout.path, start, end))
        if i in by_clip:
            window, path = by_clip[i]
            frames = layout.frames - window.tail + window.head
            pieces.append(Piece(path, 0, frames - window.transition.overlap_frames()))
    return pieces


def _frame_tick(stream: av.video.stream.VideoStream) -> Fraction:
    """One frame's length in the stream's time base."""
    if stream.time_base is None:
        raise MediaError("a video stream without a time base")
    return Fraction(1, DELIVERY_FPS) / stream.time_base


def _copy_piece(
    piece: Piece, out: av.container.OutputContainer, ostream: av.video.stream.VideoStream, base: int
) -> int:
    """Copy frames [start, end) of piece into the output from frame `base`; frames copied."""
    out_tick = _frame_tick(ostream)
    with av.open(str(piece.path)) as container:
        stream = container.streams.video[0]
        tick = _frame_tick(stream)
        packets = [p for p in container.demux(stream) if p.pts is not None and p.size]
        order = sorted(int(p.pts or 0) for p in packets)
        if len(order) < piece.end:
            raise MediaError(f"{piece.path.name} has {len(order)} frames, not {piece.end}")
        wanted = set(order[piece.start : piece.end])
        origin = order[piece.start]
        for packet in packets:
            pts = int(packet.pts or 0)
            if pts not in wanted:
                continue
            # Frames, counted from the piece's first frame in presentation order.
            dts = pts if packet.dts is None else int(packet.dts)
            packet.pts = round(((pts - origin) / tick + base) * out_tick)
            packet.dts = round(((dts - origin) / tick + base) * out_tick)
            packet.stream = ostream
            out.mux(packet)
    return piece.end - piece.start


def mux_pieces(pieces: Sequence[Piece], template: Path, out_path: Path) -> int:
    """Write the pieces' video packets, in order, as one video-only MP4; its frame count."""
    with av.open(str(template)) as source, av.open(str(out_path), "w", format="mp4") as out:
        ostream = out.add_stream_from_template(source.streams.video[0])
        ostream.time_base = Fraction(1, DELIVERY_FPS * 512)
        base = 0
        for piece in pieces:
            base += _copy_piece(piece, out, ostream, base)
    return base


def _audio_inputs(
    probes: Sequence[MediaProbe], first_clip: int, first_silence: int
) -> tuple[list[str], list[str]]:
    """The label of each clip's audio (clip n is input first_clip + n), and lavfi silence
    inputs, numbered from first_silence, for clips without any."""
    labels, silences = [], []
    next_input = first_silence
    for index, info in enumerate(probes):
        if info.audio is None:
            seconds = f"{info.duration_seconds:.6f}"
            silences += ["-f", "lavfi", "-t", seconds, "-i", audio_source_graph("silence")]
            labels.append(f"[{next_input}:a:0]")
            next_input += 1
        else:
            labels.append(f"[{first_clip + index}:a:0]")
    return labels, silences


def audio_graph(
    labels: Sequence[str], frames: Sequence[int], transitions: Sequence[Transition]
) -> str:
    """A filter graph mixing the clips' sound with a crossfade wherever the picture overlaps."""
    chains = [
        f"{label}aresample={AUDIO_RATE},aformat=channel_layouts=stereo,apad,"
        f"atrim=duration={count / DELIVERY_FPS:.6f}[a{i}]"
        for i, (label, count) in enumerate(zip(labels, frames, strict=True))
    ]
    current = "[a0]"
    for i, transition in enumerate(transitions):
        joined = f"[m{i}]"
        if transition.overlaps:
            seconds = transition.overlap_frames() / DELIVERY_FPS
            chains.append(f"{current}[a{i + 1}]acrossfade=d={seconds:.6f}{joined}")
        else:
            chains.append(f"{current}[a{i + 1}]concat=n=2:v=0:a=1{joined}")
        current = joined
    chains.append(f"{current}anull[aout]")
    return ";".join(chains)


def _add_sound(
    video: Path, clips: Sequence[Path], frames: Sequence[int], transitions: Sequence[Transition],
    out: Path,
) -> None:  # fmt: skip
    """Mux the assembled picture (copied) with the clips' mixed sound."""
    labels, silences = _audio_inputs([probe(c) for c in clips], 1, len(clips) + 1)
    inputs = [arg for clip in clips for arg in ("-i", str(clip))]
    graph = audio_graph(labels, frames, transitions)
    run_ffmpeg(
        ["-i", str(video), *inputs, *silences, "-filter_complex", graph,
         "-map", "0:v:0", "-map", "[aout]", "-c:v", "copy", *audio_encode_args(),
         *container_args(), "-y", str(out)],
        timeout=ASSEMBLE_TIMEOUT_S,
    )  # fmt: skip


def reencode_args(
    clips: Sequence[Path], transitions: Sequence[Transition], probes: Sequence[MediaProbe],
    out: Path,
) -> list[str]:  # fmt: skip
    """ffmpeg arguments re-encoding the whole film with its transitions in one graph."""
    first = probes[0].video
    assert first is not None
    width, height, fps = first.width, first.height, DELIVERY_FPS
    frames = [round(p.duration_seconds * fps) for p in probes]
    labels, silences = _audio_inputs(probes, 0, len(clips))
    chains = [
        f"[{i}:v:0]scale={width}:{height}:force_original_aspect_ratio=decrease,"
        f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1,fps={fps},"
        f"format=yuv420p,trim=end_frame={count},settb=1/{fps * 512},setpts=PTS-STARTPTS[v{i}]"
        for i, count in enumerate(frames)
    ]
    current, length = "[v0]", frames[0]
    for i, transition in enumerate(transitions):
        chains.append(pair_graph(current, f"[v{i + 1}]", length, transition, f"[x{i}]"))
        current, length = f"[x{i}]", length + frames[i + 1] - transition.overlap_frames()
    chains.append(f"{current}null[vout]")
    chains.append(audio_graph(labels, frames, transitions))
    inputs = [arg for clip in clips for arg in ("-i", str(clip))]
    return [*inputs, *silences, "-filter_complex", ";".join(chains),
            "-map", "[vout]", "-map", "[aout]", *delivery_args(), "-y", str(out)]  # fmt: skip


@dataclass(frozen=True)
class Assembly:
    joined: JoinResult
    reencoded_frames: int  # frames decoded and encoded again; the rest were copied
    method: str  # "copy" (cuts only), "smart" (windows re-encoded) or "reencode"


def _checked(transitions: Sequence[Transition], clips: Sequence[Path]) -> list[Transition]:
    if len(transitions) != len(clips) - 1:
        raise ValueError(f"{len(clips)} clips need {len(clips) - 1} transitions")
    for t in transitions:
        if t.kind not in KINDS:
            raise ValueError(f"unknown transition {t.kind!r}")
    return list(transitions)


def _smart(
    clips: Sequence[Path], transitions: Sequence[Transition], folder: Path, out: Path
) -> Assembly | None:
    """The windows re-encoded and everything else copied; None when that cannot join."""
    layouts = [read_layout(c) for c in clips]
    planned = plan_windows(layouts, transitions)
    if planned is None:
        return None
    ranges, windows = planned
    rendered = _render_windows(layouts, windows, folder)
    if rendered is None:
        return None
    picture = folder / "picture.mp4"
    mux_pieces(_pieces(layouts, ranges, windows, rendered), clips[0], picture)
    _add_sound(picture, clips, [x.frames for x in layouts], transitions, out)
    reencoded = sum(layouts[w.index].frames - w.tail + w.head for w in windows)
    return Assembly(JoinResult(out, True, probe(out)), reencoded, "smart")


def _signatures_match(probes: Sequence[MediaProbe]) -> bool:
    return len({stream_signature(p) for p in probes}) == 1


def assemble(clips: Sequence[Path], transitions: Sequence[Transition], out_path: Path) -> Assembly:
    """Join clips with a transition between each pair: copied where the clips are cut,
    re-encoded only around crossfades and dips, or whole when the clips do not match."""
    chosen = _checked(transitions, clips)
    if not any(t.overlaps for t in chosen):
        joined = join_clips(list(clips), out_path)
        if joined.stream_copied:
            return Assembly(joined, 0, "copy")
        video = joined.media.video
        return Assembly(joined, (video.frame_count or 0) if video else 0, "reencode")
    probes = [probe(c) for c in clips]
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = partial_path(out_path)
    try:
        with tempfile.TemporaryDirectory() as name:
            done = _smart(clips, chosen, Path(name), tmp) if _signatures_match(probes) else None
            if done is None:
                run_ffmpeg(reencode_args(clips, chosen, probes, tmp), timeout=ASSEMBLE_TIMEOUT_S)
        os.replace(tmp, out_path)
    finally:
        tmp.unlink(missing_ok=True)
    media = probe(out_path)
    if done is None:
        frames = media.video.frame_count if media.video else None
        return Assembly(JoinResult(out_path, False, media), frames or 0, "reencode")
    return Assembly(JoinResult(out_path, True, media), done.reencoded_frames, "smart")
