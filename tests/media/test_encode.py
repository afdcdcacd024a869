"""The delivery encoder, checked by probing and decoding the files it writes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import av
import numpy as np
import pytest

from fvs.media.concat import stream_signature
from fvs.media.encode import ClipEncoder, baseline_encode_args, rgb_to_yuv420
from fvs.media.ffmpeg import MediaError, run_ffmpeg
from fvs.media.probe import is_faststart, keyframe_times, probe

W, H, FPS = 320, 180, 24


def moving_frame(index: int) -> np.ndarray:
    """A frame with a bright bar that moves right one step per frame."""
    frame = np.full((H, W, 3), 40, np.uint8)
    x = (index * 5) % (W - 20)
    frame[:, x : x + 20] = (230, 200, 60)
    return frame


def encode(path: Path, frames: int, *, audio: str = "ambience") -> Path:
    with ClipEncoder(path, width=W, height=H, fps=FPS, frame_count=frames, audio=audio) as enc:
        for index in range(frames):
            enc.write(moving_frame(index))
    return path


def decode_audio(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        chunks = [f.to_ndarray() for f in container.decode(audio=0)]
    return np.concatenate(chunks, axis=1)


def test_clip_has_delivery_format(tmp_path: Path) -> None:
    clip = encode(tmp_path / "clip.mp4", 48)
    info = probe(clip)
    assert info.video is not None and info.audio is not None
    assert (info.video.codec, info.video.pix_fmt) == ("h264", "yuv420p")
    assert (info.video.width, info.video.height, info.video.fps) == (W, H, 24.0)
    assert info.video.frame_count == 48
    assert abs(info.duration_seconds - 2.0) <= 1 / FPS
    assert (info.audio.codec, info.audio.sample_rate, info.audio.channels) == ("aac", 48000, 2)
    assert abs((info.audio.duration or 0) - 2.0) <= 1 / FPS
    assert keyframe_times(clip)[0] == 0.0
    assert is_faststart(clip)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4"]


def test_ambience_is_quiet_but_not_silent_and_silence_is_silent(tmp_path: Path) -> None:
    ambience = decode_audio(encode(tmp_path / "a.mp4", 24))
    silence = decode_audio(encode(tmp_path / "s.mp4", 24, audio="silence"))
    assert 0.0005 < float(np.sqrt(np.mean(ambience**2))) < 0.1
    assert float(np.abs(ambience).max()) < 0.5
    assert float(np.abs(silence).max()) == 0.0


def test_colours_survive_the_round_trip(tmp_path: Path) -> None:
    colour = np.array([200, 60, 30], np.uint8)
    clip = tmp_path / "red.mp4"
    with ClipEncoder(clip, width=W, height=H, fps=FPS, frame_count=24) as enc:
        for _ in range(24):
            enc.write(np.broadcast_to(colour, (H, W, 3)))
    with av.open(str(clip)) as container:
        first = next(container.decode(video=0)).to_ndarray(format="rgb24")
    assert np.abs(first.reshape(-1, 3).mean(axis=0) - colour).max() < 6


def test_yuv_planes_encode_like_rgb(tmp_path: Path) -> None:
    rgb = moving_frame(3)
    clip = tmp_path / "yuv.mp4"
    with ClipEncoder(clip, width=W, height=H, fps=FPS, frame_count=24,
                     pixel_format="yuv420p") as enc:  # fmt: skip
        for _ in range(24):
            enc.write_yuv420(*rgb_to_yuv420(rgb))
    with av.open(str(clip)) as container:
        first = next(container.decode(video=0)).to_ndarray(format="rgb24")
    assert np.abs(first.astype(int) - rgb).mean() < 4


def test_wrong_frame_count_leaves_nothing_behind(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="wrote 10 frames, planned 24"):
        encode_short(tmp_path / "short.mp4")
    assert list(tmp_path.iterdir()) == []


def encode_short(path: Path) -> None:
    with ClipEncoder(path, width=W, height=H, fps=FPS, frame_count=24) as enc:
        for index in range(10):
            enc.write(moving_frame(index))


def test_exception_inside_block_leaves_nothing_behind(tmp_path: Path) -> None:
    with (
        pytest.raises(RuntimeError, match="painter died"),
        ClipEncoder(tmp_path / "x.mp4", width=W, height=H, fps=FPS, frame_count=24) as enc,
    ):
        enc.write(moving_frame(0))
        raise RuntimeError("painter died")
    assert list(tmp_path.iterdir()) == []


def test_bad_frames_are_refused(tmp_path: Path) -> None:
    with ClipEncoder(tmp_path / "x.mp4", width=W, height=H, fps=FPS, frame_count=1) as enc:
        with pytest.raises(ValueError, match="uint8"):
            enc.write(np.zeros((H, W, 3), np.float32))
        with pytest.raises(ValueError):
            enc.write(np.zeros((H + 2, W, 3), np.uint8))
        enc.write(moving_frame(0))
        with pytest.raises(MediaError, match="more than the planned"):
            enc.write(moving_frame(1))
    assert probe(tmp_path / "x.mp4").video is not None


def test_odd_sizes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="even"):
        ClipEncoder(tmp_path / "x.mp4", width=321, height=180, fps=FPS, frame_count=1)


def test_baseline_uses_the_same_video_settings(tmp_path: Path) -> None:
    base = tmp_path / "base.mp4"
    run_ffmpeg(baseline_encode_args(base, frame_count=24, width=W, height=H, with_audio=True))
    ours = probe(encode(tmp_path / "ours.mp4", 24))
    theirs = probe(base)
    assert theirs.video is not None and theirs.video.frame_count == 24

    # The same settings; only the SPS's chroma-location note differs, set by testsrc2.
    def settings_of(info):
        return stream_signature(replace(info, video=replace(info.video, extradata_digest=None)))

    assert settings_of(theirs) == settings_of(ours)
