"""The local animator: real clips from a keyframe, with the camera actually moving."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from fvs.media.probe import keyframe_times, probe
from fvs.providers.base import ClipSpec, ShotPlan
from fvs.providers.local.animator import LocalAnimator

SPEC = ClipSpec(width=320, height=180, fps=24, duration_seconds=1, seed=3)


def shot(move: str) -> ShotPlan:
    return ShotPlan(
        index=0, text="t", image_prompt="i", video_prompt="v", camera_move=move, duration_seconds=1
    )


def keyframe(folder: Path, axis: int = 1, size: tuple[int, int] = (640, 360)) -> Path:
    """A keyframe that brightens left to right (axis 1) or top to bottom (axis 0), with detail."""
    ramp = np.linspace(20, 235, size[1 - axis])
    grey = np.broadcast_to(ramp[None, :] if axis == 1 else ramp[:, None], size[::-1])
    checks = ((np.indices(size[::-1]) // 12).sum(axis=0) % 2) * 16.0
    pixels = np.clip(grey + checks, 0, 255).astype(np.uint8)
    path = folder / f"key{axis}.png"
    Image.fromarray(np.stack([pixels] * 3, axis=-1)).save(path)
    return path


def first_and_last(path: Path) -> tuple[np.ndarray, np.ndarray]:
    with av.open(str(path)) as container:
        frames = [f.to_ndarray(format="gray").astype(float) for f in container.decode(video=0)]
    return frames[0], frames[-1]


def test_clip_matches_spec(tmp_path: Path) -> None:
    out = LocalAnimator().film(shot("push_in"), keyframe(tmp_path), SPEC, tmp_path / "c.mp4")
    info = probe(out)
    assert info.video is not None and info.audio is not None
    assert (info.video.codec, info.video.pix_fmt) == ("h264", "yuv420p")
    assert (info.video.width, info.video.height, info.video.fps) == (320, 180, 24.0)
    assert info.video.frame_count == 24
    assert abs(info.duration_seconds - 1.0) <= 1 / 24
    assert (info.audio.sample_rate, info.audio.channels) == (48000, 2)
    assert keyframe_times(out)[0] == 0.0


@pytest.mark.parametrize(
    ("move", "axis", "darker_at_end"),
    [("pan_left", 1, True), ("pan_right", 1, False), ("tilt_up", 0, True), ("tilt_down", 0, False)],
)
def test_pans_and_tilts_move_the_right_way(
    tmp_path: Path, move: str, axis: int, darker_at_end: bool
) -> None:
    out = LocalAnimator().film(shot(move), keyframe(tmp_path, axis), SPEC, tmp_path / "c.mp4")
    first, last = first_and_last(out)
    # Looking left (or up) on a keyframe that brightens rightwards (or down) darkens the frame.
    assert (last.mean() < first.mean() - 3) == darker_at_end
    assert np.abs(last - first).mean() > 3


def test_push_in_magnifies(tmp_path: Path) -> None:
    out = LocalAnimator().film(shot("push_in"), keyframe(tmp_path), SPEC, tmp_path / "c.mp4")
    first, last = first_and_last(out)
    assert np.abs(last - first).mean() > 3
    # Zooming in on a left-to-right ramp narrows the range of brightness across the frame.
    assert np.ptp(last.mean(axis=0)) < np.ptp(first.mean(axis=0)) - 10


def test_static_breathes_but_barely(tmp_path: Path) -> None:
    spec = ClipSpec(width=320, height=180, fps=24, duration_seconds=2, audio=False)
    out = LocalAnimator().film(shot("static"), keyframe(tmp_path), spec, tmp_path / "c.mp4")
    first, last = first_and_last(out)
    assert 0.2 < np.abs(last - first).mean() < 20
    info = probe(out)
    assert info.audio is not None and info.video is not None and info.video.frame_count == 48


@pytest.mark.parametrize("size", [(320, 180), (180, 320)])
def test_output_size_for_landscape_and_portrait(tmp_path: Path, size: tuple[int, int]) -> None:
    spec = ClipSpec(width=size[0], height=size[1], fps=24, duration_seconds=1)
    # A square keyframe has to be cover-fitted either way.
    key = keyframe(tmp_path, size=(400, 400))
    out = LocalAnimator().film(shot("dolly_zoom"), key, spec, tmp_path / "c.mp4")
    info = probe(out)
    assert info.video is not None
    assert (info.video.width, info.video.height) == size
    first, last = first_and_last(out)
    assert np.abs(last - first).mean() > 0.5
