"""VeoFilmer through the real SDK against the fake: requests, polling, filters and restarts."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from fvs.media.probe import probe
from fvs.providers.base import ClipSpec, ShotPlan, VideoJob
from fvs.providers.google.client import ModelGate, make_client
from fvs.providers.google.filmer import VeoFilmer
from tests.fakes.vertex import FakeVertex
from tests.fakes.vertex_media import png_bytes

SHOT = ShotPlan(
    index=0,
    text="A fox in snow.",
    image_prompt="A fox in snow.",
    video_prompt="The fox runs.",
    camera_move="push_in",
    duration_seconds=4,
)
SPEC = ClipSpec(width=1280, height=720, fps=24, duration_seconds=4, seed=7, audio=True)


@pytest.fixture
def keyframe(tmp_path: Path) -> Path:
    path = tmp_path / "keyframe.png"
    path.write_bytes(png_bytes(1280, 720))
    return path


def _filmer(fake: FakeVertex, model_id: str = "veo-3.1-fast-generate-001") -> VeoFilmer:
    return VeoFilmer(model_id, make_client(fake.config()), gate=ModelGate(), sleep=lambda s: None)


def _start(
    filmer: VeoFilmer, keyframe: Path | None, spec: ClipSpec = SPEC, references: tuple = ()
) -> VideoJob:
    return filmer.start(
        SHOT, keyframe, spec, prompt="The fox runs.", negative_prompt="text", references=references
    )


def test_start_sends_the_clip_spec_and_the_keyframe(fake: FakeVertex, keyframe: Path) -> None:
    job = _start(_filmer(fake), keyframe)
    [sent] = fake.recorded("predictLongRunning")
    assert sent.model == "veo-3.1-fast-generate-001"
    assert sent.body["parameters"] == {
        "sampleCount": 1, "durationSeconds": 4, "resolution": "720p", "aspectRatio": "16:9",
        "generateAudio": True, "negativePrompt": "text", "seed": 7,
    }  # fmt: skip
    instance = sent.body["instances"][0]
    assert instance["prompt"] == "The fox runs."
    assert base64.b64decode(instance["image"]["bytesBase64Encoded"]) == keyframe.read_bytes()
    assert "referenceImages" not in instance
    assert job.operation_name.startswith("projects/") and "/operations/" in job.operation_name


def test_poll_returns_running_then_the_clip(
    fake: FakeVertex, keyframe: Path, tmp_path: Path
) -> None:
    filmer = _filmer(fake)
    job = _start(filmer, keyframe)
    assert filmer.poll(job).done is False
    result = filmer.poll(job)
    assert result.done and result.video and not result.filtered and result.error is None
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(result.video)
    info = probe(clip)
    assert info.video and (info.video.codec, info.video.width, info.video.height) == (
        "h264", 1280, 720)  # fmt: skip
    assert info.video.fps == 24 and info.audio and info.audio.codec == "aac"
    assert abs(info.duration_seconds - 4) < 0.1


def test_quota_error_on_start_is_retried(fake: FakeVertex, keyframe: Path) -> None:
    fake.fail_next("predictLongRunning", status=429)
    job = _start(_filmer(fake), keyframe)
    assert len(fake.recorded("predictLongRunning")) == 2
    assert job.operation_name


def test_filtered_clip_is_reported_not_passed_as_success(fake: FakeVertex, keyframe: Path) -> None:
    fake.filter_next_videos(1)
    fake.polls_before_done = 0
    filmer = _filmer(fake)
    result = filmer.poll(_start(filmer, keyframe))
    assert result.done and result.filtered and result.video is None
    assert result.reasons and "usage guidelines" in result.reasons[0]


def test_operation_error_is_reported(fake: FakeVertex, keyframe: Path) -> None:
    fake.error_next_videos(1)
    fake.polls_before_done = 0
    filmer = _filmer(fake)
    result = filmer.poll(_start(filmer, keyframe))
    assert result.done and not result.video and "backend failed" in (result.error or "")


def test_restarted_worker_polls_the_stored_name_without_paying_again(
    fake: FakeVertex, keyframe: Path
) -> None:
    fake.polls_before_done = 0
    stored = _start(_filmer(fake), keyframe).operation_name
    # A new process: a fresh client and filmer know nothing but the stored name.
    result = _filmer(fake).poll(VideoJob(operation_name=stored))
    assert result.done and result.video
    assert len(fake.recorded("predictLongRunning")) == 1


def test_never_finishing_operation_stays_running(fake: FakeVertex, keyframe: Path) -> None:
    fake.never_finish = True
    filmer = _filmer(fake)
    job = _start(filmer, keyframe)
    assert [filmer.poll(job).done for _ in range(3)] == [False, False, False]


def test_uris_are_downloaded_or_refused(fake: FakeVertex, keyframe: Path) -> None:
    fake.polls_before_done = 0
    fake.link_next_videos(1)
    fake.gcs_next_videos(1)
    filmer = _filmer(fake)
    linked = filmer.poll(_start(filmer, keyframe))
    assert linked.done and linked.video and linked.video[4:8] == b"ftyp"
    on_gcs = filmer.poll(_start(filmer, keyframe))
    assert on_gcs.done and not on_gcs.video and "set no output_gcs_uri" in (on_gcs.error or "")


def test_text_only_model_gets_no_image(fake: FakeVertex, keyframe: Path) -> None:
    spec = ClipSpec(width=720, height=1280, fps=24, duration_seconds=8, audio=False)
    _start(_filmer(fake, "veo-3.0-fast-generate-001"), keyframe, spec)
    [sent] = fake.recorded("predictLongRunning")
    assert "image" not in sent.body["instances"][0]
    assert sent.body["parameters"]["aspectRatio"] == "9:16"
    assert sent.body["parameters"]["generateAudio"] is False


def test_unfilmable_durations_fail_before_paying(fake: FakeVertex, keyframe: Path) -> None:
    with pytest.raises(ValueError, match="5 s"):
        _start(_filmer(fake), keyframe, ClipSpec(1280, 720, 24, 5))
    assert not fake.requests


def test_a_continuous_shot_ends_on_the_next_keyframe(
    fake: FakeVertex, keyframe: Path, tmp_path: Path
) -> None:
    following = tmp_path / "next.png"
    following.write_bytes(png_bytes(640, 360))  # a different picture from the keyframe
    _filmer(fake, "veo-3.1-generate-001").start(
        SHOT, keyframe, SPEC, prompt="The fox runs.", negative_prompt="", last_frame=following
    )
    [sent] = fake.recorded("predictLongRunning")
    instance = sent.body["instances"][0]
    assert base64.b64decode(instance["image"]["bytesBase64Encoded"]) == keyframe.read_bytes()
    assert base64.b64decode(instance["lastFrame"]["bytesBase64Encoded"]) == following.read_bytes()
    assert instance["lastFrame"]["mimeType"] == "image/png"


def test_a_model_without_last_frames_is_sent_none(
    fake: FakeVertex, keyframe: Path, tmp_path: Path
) -> None:
    following = tmp_path / "next.png"
    following.write_bytes(png_bytes(1280, 720))
    spec = ClipSpec(width=1280, height=720, fps=24, duration_seconds=8, seed=7)
    _filmer(fake, "veo-3.0-generate-001").start(
        SHOT, keyframe, spec, prompt="The fox runs.", negative_prompt="", last_frame=following
    )
    [sent] = fake.recorded("predictLongRunning")
    assert "lastFrame" not in sent.body["instances"][0]
