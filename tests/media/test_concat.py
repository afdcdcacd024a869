"""Joining clips: stream copy for matching clips, a re-encode for the rest."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fvs.media.concat import join_clips
from fvs.media.cuts import detect_cuts
from fvs.media.encode import ClipEncoder, video_encode_args
from fvs.media.ffmpeg import run_ffmpeg
from fvs.media.probe import is_faststart, keyframe_times, probe

FPS = 24


def scene_clip(
    path: Path, scene: int, *, width: int = 320, height: int = 180, seconds: int = 2
) -> Path:
    """A clip of coloured blocks drifting slowly; every scene has its own blocks."""
    rng = np.random.default_rng(scene)
    blocks = rng.integers(0, 256, (height // 20 + 1, width // 20 + 3, 3), dtype=np.uint8)
    canvas = blocks.repeat(20, axis=0).repeat(20, axis=1)[:height]
    with ClipEncoder(
        path, width=width, height=height, fps=FPS, frame_count=seconds * FPS, seed=scene
    ) as enc:
        for index in range(seconds * FPS):
            enc.write(np.ascontiguousarray(canvas[:, index // 2 : index // 2 + width]))
    return path


def test_matching_clips_are_stream_copied(tmp_path: Path) -> None:
    clips = [scene_clip(tmp_path / f"c{i}.mp4", i) for i in range(3)]
    result = join_clips(clips, tmp_path / "out" / "film.mp4")
    assert result.stream_copied
    assert result.path == tmp_path / "out" / "film.mp4"
    assert abs(result.duration_seconds - 6.0) <= 0.1
    info = probe(result.path)
    assert info.video is not None and info.audio is not None
    assert info.video.frame_count == 3 * 2 * FPS
    assert abs((info.audio.duration or 0) - 6.0) <= 0.1
    assert is_faststart(result.path)
    # Each 2 s clip keeps its own keyframes: its start, and a second inside each end.
    assert keyframe_times(result.path) == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    cuts = detect_cuts(result.path)
    assert len(cuts) == 2
    assert abs(cuts[0] - 2.0) <= 1 / FPS and abs(cuts[1] - 4.0) <= 1 / FPS
    assert sorted(p.name for p in result.path.parent.iterdir()) == ["film.mp4"]


def test_mismatched_clips_are_reencoded(tmp_path: Path) -> None:
    silent = tmp_path / "no_audio.mp4"
    run_ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x240:rate=30",
            "-frames:v",
            "30",
            *video_encode_args(),
            "-an",
            "-y",
            str(silent),
        ]
    )
    clips = [
        scene_clip(tmp_path / "a.mp4", 1, seconds=1),
        scene_clip(tmp_path / "b.mp4", 2, width=640, height=360, seconds=1),
        silent,
    ]
    planned = sum(probe(clip).duration_seconds for clip in clips)
    result = join_clips(clips, tmp_path / "film.mp4")
    assert not result.stream_copied
    info = probe(result.path)
    assert info.video is not None and info.audio is not None
    assert (info.video.width, info.video.height, info.video.fps) == (320, 180, 24.0)
    assert (info.audio.codec, info.audio.sample_rate, info.audio.channels) == ("aac", 48000, 2)
    assert abs(planned - 3.25) <= 0.05  # 30 frames were re-timed to 24 fps: 1.25 s
    assert abs(result.duration_seconds - planned) <= 0.1
    assert abs((info.audio.duration or 0) - planned) <= 0.1
    assert is_faststart(result.path)


def test_join_needs_clips(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        join_clips([], tmp_path / "film.mp4")


def test_a_silent_clip_first_keeps_every_clip_in_order(tmp_path: Path) -> None:
    silent = tmp_path / "silent.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=320x180:rate=24", "-frames:v", "24",
                *video_encode_args(), "-an", "-y", str(silent)])  # fmt: skip
    clips = [silent, scene_clip(tmp_path / "a.mp4", 1, seconds=2),
             scene_clip(tmp_path / "b.mp4", 2, seconds=1)]  # fmt: skip
    result = join_clips(clips, tmp_path / "film.mp4")
    assert not result.stream_copied
    # 1 s + 2 s + 1 s: each clip appears once, in order, with its own length.
    assert abs(result.duration_seconds - 4.0) <= 0.1
    cuts = detect_cuts(result.path)
    assert len(cuts) == 2
    assert abs(cuts[0] - 1.0) <= 1 / FPS and abs(cuts[1] - 3.0) <= 1 / FPS


def test_clips_from_another_encoder_are_not_stream_copied(tmp_path: Path) -> None:
    # Same codec, size and rate, but other encoder settings (as a provider's clips may
    # be): their SPS/PPS differ, and a stream copy would decode with the wrong ones.
    other = tmp_path / "other.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=320x180:rate=24", "-f", "lavfi",
                "-i", "anullsrc=r=48000:cl=stereo", "-frames:v", "48", "-t", "2",
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                "-c:a", "aac", "-y", str(other)])  # fmt: skip
    ours = scene_clip(tmp_path / "ours.mp4", 1)
    assert probe(other).video.codec == probe(ours).video.codec
    result = join_clips([ours, other], tmp_path / "film.mp4")
    assert not result.stream_copied
    assert abs(result.duration_seconds - 4.0) <= 0.1
