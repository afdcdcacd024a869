"""The local animatic filmed from reference images: the pictures placed on the shot's world,
animated with its camera move, with no keyframe involved."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from fvs.media.probe import probe
from fvs.providers.base import ClipSpec, ContinuityBible, ShotPlan
from fvs.providers.local.animator import LocalAnimator

SHOT = ShotPlan(
    index=1,
    text="Mara hauls her net.",
    image_prompt="A harbor at dawn. Subject: Mara.",
    video_prompt="Mara hauls her net.",
    camera_move="push_in",
    duration_seconds=2,
    subject_keys=("mara",),
    filmed_from="references",
)
BIBLE = ContinuityBible(subjects=(), setting="a harbor", palette=("#102030", "#f0e0c0"), style="")
SPEC = ClipSpec(width=320, height=180, fps=24, duration_seconds=2, audio=False)


def _picture(tmp_path: Path, name: str, colour: tuple[int, int, int], alpha: bool) -> Path:
    path = tmp_path / f"{name}.png"
    if alpha:  # a cut-out: the colour in a centred box, transparent around it
        image = Image.new("RGBA", (90, 160), (0, 0, 0, 0))
        image.paste(Image.new("RGBA", (50, 140), (*colour, 255)), (20, 10))
    else:
        image = Image.new("RGB", (120, 160), colour)
    image.save(path)
    return path


def _first_frame(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        return next(container.decode(video=0)).to_ndarray(format="rgb24").astype(int)


def _share(frame: np.ndarray, colour: tuple[int, int, int]) -> float:
    return float((np.abs(frame - np.array(colour)).sum(axis=2) < 60).mean())


@pytest.mark.parametrize("alpha", [False, True])
def test_the_clip_shows_the_reference_pictures(tmp_path: Path, alpha: bool) -> None:
    green = _picture(tmp_path, "green", (0, 220, 0), alpha)
    out = LocalAnimator().film_from_references(SHOT, (green,), BIBLE, SPEC, tmp_path / "a.mp4")
    media = probe(out)
    assert media.video and (media.video.width, media.video.height) == (320, 180)
    assert abs(media.duration_seconds - 2) < 0.1
    assert _share(_first_frame(out), (0, 220, 0)) > 0.05


def test_other_pictures_make_another_clip_on_the_same_world(tmp_path: Path) -> None:
    green = _picture(tmp_path, "green", (0, 220, 0), False)
    blue = _picture(tmp_path, "blue", (0, 0, 220), False)
    animator = LocalAnimator()
    one = _first_frame(
        animator.film_from_references(SHOT, (green,), BIBLE, SPEC, tmp_path / "1.mp4")
    )
    two = _first_frame(
        animator.film_from_references(SHOT, (blue,), BIBLE, SPEC, tmp_path / "2.mp4")
    )
    assert _share(two, (0, 0, 220)) > 0.05 and _share(two, (0, 220, 0)) < 0.001
    # Away from the picture (the top rows), the world is the same in both.
    assert np.abs(one[:10] - two[:10]).mean() < 3
    both = animator.film_from_references(SHOT, (green, blue), BIBLE, SPEC, tmp_path / "3.mp4")
    frame = _first_frame(both)
    assert _share(frame, (0, 220, 0)) > 0.02 and _share(frame, (0, 0, 220)) > 0.02


def test_no_reference_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no reference image"):
        LocalAnimator().film_from_references(SHOT, (), BIBLE, SPEC, tmp_path / "x.mp4")
