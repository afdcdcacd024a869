"""Probing, keyframe listing, faststart detection and hard-cut detection on real files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fvs.media.cuts import detect_cuts
from fvs.media.encode import ClipEncoder, video_encode_args
from fvs.media.ffmpeg import MediaError, run_ffmpeg
from fvs.media.probe import is_faststart, keyframe_times, probe

W, H, FPS = 320, 180, 24


def pan_frame(index: int, scene: int) -> np.ndarray:
    """A textured scene sliding sideways two pixels a frame; each scene looks different."""
    rng = np.random.default_rng(scene)
    texture = rng.integers(0, 256, (H // 30 + 1, (W + 400) // 30 + 1, 3), dtype=np.uint8)
    big = texture.repeat(30, axis=0).repeat(30, axis=1)[:H]
    return np.ascontiguousarray(big[:, index * 2 : index * 2 + W])


def encode_scenes(path: Path, scenes: list[int], seconds: int = 1) -> Path:
    frames = seconds * FPS
    with ClipEncoder(path, width=W, height=H, fps=FPS, frame_count=frames * len(scenes)) as enc:
        for scene in scenes:
            for index in range(frames):
                enc.write(pan_frame(index, scene))
    return path


def test_probe_reads_streams(tmp_path: Path) -> None:
    info = probe(encode_scenes(tmp_path / "a.mp4", [1]))
    assert info.format_name.startswith("mov,mp4")
    assert info.video is not None and info.audio is not None
    assert (info.video.width, info.video.height, info.video.fps) == (W, H, 24.0)
    assert info.video.frame_count == 24
    assert abs(info.duration_seconds - 1.0) <= 1 / FPS


def test_probe_refuses_non_media(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video at all" * 10)
    with pytest.raises(MediaError):
        probe(junk)


def test_keyframes_every_two_seconds_and_a_second_inside_each_end(tmp_path: Path) -> None:
    clip = encode_scenes(tmp_path / "k.mp4", [1, 1, 1, 1, 1, 1, 1, 1])
    # 0 opens the clip, 1 and 7 sit a second inside its ends, 3 and 5 are the 2 s GOPs.
    assert keyframe_times(clip) == [0.0, 1.0, 3.0, 5.0, 7.0]


def test_faststart_false_without_the_flag(tmp_path: Path) -> None:
    slow = tmp_path / "slow.mp4"
    run_ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=size={W}x{H}:rate=24",
            "-frames:v",
            "12",
            *video_encode_args(),
            "-y",
            str(slow),
        ]
    )
    assert not is_faststart(slow)
    assert keyframe_times(slow) == [0.0]


def test_cut_found_and_smooth_pan_ignored(tmp_path: Path) -> None:
    clip = encode_scenes(tmp_path / "cut.mp4", [1, 2])
    cuts = detect_cuts(clip)
    assert len(cuts) == 1 and abs(cuts[0] - 1.0) <= 1 / FPS
    assert detect_cuts(encode_scenes(tmp_path / "pan.mp4", [3], seconds=2)) == []
