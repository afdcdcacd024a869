"""Veo 3.1 filmed from reference images, through the real SDK against the fake Vertex server:
ASSET references and no first frame, within the model's limits (3 images, 8 s, 16:9)."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from google.genai import errors, types

from fvs.media.probe import probe
from fvs.providers.base import ClipSpec, ShotPlan, VideoJob
from fvs.providers.google.client import ModelGate, make_client
from fvs.providers.google.filmer import VeoFilmer
from tests.fakes.vertex import FakeVertex
from tests.fakes.vertex_media import png_bytes

SHOT = ShotPlan(
    index=2,
    text="Mara crosses the square.",
    image_prompt="Mara in a square.",
    video_prompt="Mara walks across the square.",
    camera_move="pan_left",
    duration_seconds=8,
    subject_keys=("mara",),
    filmed_from="references",
)
LANDSCAPE_8S = ClipSpec(width=1280, height=720, fps=24, duration_seconds=8, seed=3)


def _filmer(fake: FakeVertex, model_id: str = "veo-3.1-generate-001") -> VeoFilmer:
    return VeoFilmer(model_id, make_client(fake.config()), gate=ModelGate(), sleep=lambda s: None)


def _pictures(tmp_path: Path, count: int) -> tuple[Path, ...]:
    paths = []
    for n in range(count):
        path = tmp_path / f"subject-{n}.png"
        path.write_bytes(png_bytes(300 + n, 400))  # each picture its own bytes
        paths.append(path)
    return tuple(paths)


def _start(
    filmer: VeoFilmer,
    references: tuple[Path, ...],
    spec: ClipSpec = LANDSCAPE_8S,
    keyframe: Path | None = None,
    last_frame: Path | None = None,
) -> VideoJob:
    return filmer.start(
        SHOT,
        keyframe,
        spec,
        prompt=SHOT.video_prompt,
        negative_prompt="",
        references=references,
        last_frame=last_frame,
    )


def test_references_are_sent_as_assets_with_no_first_frame(
    fake: FakeVertex, tmp_path: Path
) -> None:
    fake.polls_before_done = 0
    pictures = _pictures(tmp_path, 3)
    filmer = _filmer(fake)
    result = filmer.poll(_start(filmer, pictures))
    [sent] = fake.recorded("predictLongRunning")
    instance = sent.body["instances"][0]
    assert "image" not in instance and "lastFrame" not in instance
    sent_refs = instance["referenceImages"]
    assert [r["referenceType"] for r in sent_refs] == ["ASSET"] * 3
    sent_bytes = [base64.b64decode(r["image"]["bytesBase64Encoded"]) for r in sent_refs]
    assert sent_bytes == [p.read_bytes() for p in pictures]
    params = sent.body["parameters"]
    assert (params["durationSeconds"], params["aspectRatio"]) == (8, "16:9")
    # The fake accepted the request (it refuses Veo's forbidden shapes) and made the clip.
    assert result.done and result.video
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(result.video)
    assert abs(probe(clip).duration_seconds - 8) < 0.1


@pytest.mark.parametrize(
    ("model_id", "count", "spec", "frame", "message"),
    [
        ("veo-3.1-generate-001", 4, LANDSCAPE_8S, None, "at most 3"),
        ("veo-3.1-generate-001", 1, ClipSpec(1280, 720, 24, 6), None, "6 s 16:9"),
        ("veo-3.1-fast-generate-001", 1, ClipSpec(720, 1280, 24, 8), None, "8 s 9:16"),
        ("veo-3.1-generate-001", 1, LANDSCAPE_8S, "first", "first or last frame"),
        # A continuous shot's last frame (the next keyframe) never goes with references.
        ("veo-3.1-generate-001", 1, LANDSCAPE_8S, "last", "first or last frame"),
        ("veo-3.0-generate-001", 1, LANDSCAPE_8S, None, "from references"),
    ],
)
def test_requests_outside_the_models_limits_fail_before_paying(
    fake: FakeVertex,
    tmp_path: Path,
    model_id: str,
    count: int,
    spec: ClipSpec,
    frame: str | None,
    message: str,
) -> None:
    pictures = _pictures(tmp_path, count)
    keyframe = pictures[0] if frame == "first" else None
    last_frame = pictures[0] if frame == "last" else None
    with pytest.raises(ValueError, match=message):
        _start(_filmer(fake, model_id), pictures, spec, keyframe, last_frame)
    assert not fake.recorded("predictLongRunning")


def test_the_fake_refuses_what_vertex_refuses(fake: FakeVertex, tmp_path: Path) -> None:
    """A request past Veo's limits that skipped the filmer's checks is a 400, not a clip."""
    image = types.Image(image_bytes=_pictures(tmp_path, 1)[0].read_bytes(), mime_type="image/png")
    asset = types.VideoGenerationReferenceImage(image=image, reference_type="ASSET")
    client = make_client(fake.config())
    for config in (
        types.GenerateVideosConfig(duration_seconds=8, reference_images=[asset] * 4),
        types.GenerateVideosConfig(duration_seconds=6, reference_images=[asset]),
        types.GenerateVideosConfig(
            duration_seconds=8, aspect_ratio="9:16", reference_images=[asset]
        ),
        types.GenerateVideosConfig(duration_seconds=8, reference_images=[asset], last_frame=image),
    ):
        with pytest.raises(errors.ClientError):
            client.models.generate_videos(
                model="veo-3.1-generate-001",
                source=types.GenerateVideosSource(prompt="Mara walks."),
                config=config,
            )
    assert len(fake.recorded("predictLongRunning")) == 4
