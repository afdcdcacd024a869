"""Veo on Vertex AI as a remote filmer: start a long-running operation, then poll it by name.

`start` is the only paid call; its operation name is all `poll` needs, so a worker
that restarts rebuilds the operation from the stored name instead of paying again.
A clip the safety filter withheld comes back `done` with no video; `poll` reports
that explicitly rather than letting it pass as success.
"""

from __future__ import annotations

from pathlib import Path

import httpx
from google.genai import types

from fvs.providers import registry
from fvs.providers.base import ClipSpec, ShotPlan, VideoJob, VideoPoll
from fvs.providers.google.client import (
    GoogleModel,
    GoogleProviderError,
)

DOWNLOAD_TIMEOUT_S = 120.0
RESOLUTIONS = {720: "720p", 1080: "1080p"}


def video_resolution(spec: ClipSpec) -> str:
    """Veo's resolution literal for a clip size: the short side decides (720 -> "720p")."""
    short = min(spec.width, spec.height)
    if short not in RESOLUTIONS:
        raise ValueError(f"Veo films 720p or 1080p; {spec.width}x{spec.height} is neither")
    return RESOLUTIONS[short]


def _aspect_ratio(spec: ClipSpec) -> str:
    return "16:9" if spec.width >= spec.height else "9:16"


def _png(path: Path) -> types.Image:
    return types.Image(image_bytes=path.read_bytes(), mime_type="image/png")


def _ends_on(info: registry.ModelInfo | None) -> bool:
    """True when the model can film to a given last frame."""
    return info is None or info.last_frame


class VeoFilmer(GoogleModel):
    """Films shots with a Veo model through long-running operations."""

    @property
    def info(self) -> registry.ModelInfo | None:
        return registry.find(self.model_id)

    def start(
        self,
        shot: ShotPlan,
        keyframe: Path | None,
        spec: ClipSpec,
        *,
        prompt: str,
        negative_prompt: str,
        references: tuple[Path, ...] = (),
        last_frame: Path | None = None,
    ) -> VideoJob:
        """Start generating the shot's clip; returns the operation to poll."""
        source, config = self.request(
            keyframe,
            spec,
            prompt=prompt,
            negative_prompt=negative_prompt,
            references=references,
            last_frame=last_frame,
        )
        operation = self.call(
            lambda: self.client.models.generate_videos(
                model=self.model_id, source=source, config=config
            ),
        )
        if not operation.name:
            raise GoogleProviderError(f"{self.model_id} started no operation for shot {shot.index}")
        return VideoJob(operation_name=operation.name)

    def request(
        self,
        keyframe: Path | None,
        spec: ClipSpec,
        *,
        prompt: str,
        negative_prompt: str,
        references: tuple[Path, ...] = (),
        last_frame: Path | None = None,
    ) -> tuple[types.GenerateVideosSource, types.GenerateVideosConfig]:
        """The source and config sent to Veo, within what this model can do."""
        info = self.info
        if info is not None and spec.duration_seconds not in info.durations:
            raise ValueError(
                f"{self.model_id} films {info.durations} s clips, not {spec.duration_seconds} s"
            )
        refs = self._reference_images(keyframe, last_frame, spec, references)
        # Text-to-video-only models reject a first frame; they get the prompt alone.
        image = _png(keyframe) if keyframe and (info is None or info.image_to_video) else None
        config = types.GenerateVideosConfig(
            number_of_videos=1,
            duration_seconds=spec.duration_seconds,
            resolution=video_resolution(spec),
            aspect_ratio=_aspect_ratio(spec),
            generate_audio=spec.audio,
            negative_prompt=negative_prompt or None,
            seed=spec.seed,
            reference_images=refs,
            # A continuous shot ends on the next shot's keyframe (Veo 3.1 first and last frame).
            last_frame=_png(last_frame) if last_frame and image and _ends_on(info) else None,
        )
        return types.GenerateVideosSource(prompt=prompt, image=image), config

    def _reference_images(
        self,
        keyframe: Path | None,
        last_frame: Path | None,
        spec: ClipSpec,
        references: tuple[Path, ...],
    ) -> list[types.VideoGenerationReferenceImage] | None:
        """The shot's subjects as ASSET references, or None when it is filmed from a keyframe.

        Veo takes references only without a first or last frame and only for clips it allows
        them for (Veo 3.1: up to 3, 8 s, 16:9); anything else is refused here, before paying.
        """
        if not references:
            return None
        info = self.info
        aspect = _aspect_ratio(spec)
        if keyframe is not None or last_frame is not None:
            raise ValueError(
                f"{self.model_id} cannot combine reference images with a first or last frame"
            )
        if info is None or not info.takes_references(
            seconds=spec.duration_seconds, aspect_ratio=aspect
        ):
            raise ValueError(
                f"{self.model_id} films no {spec.duration_seconds} s {aspect} clip from references"
            )
        if len(references) > info.max_reference_images:
            raise ValueError(
                f"{self.model_id} takes at most {info.max_reference_images} reference images, "
                f"not {len(references)}"
            )
        asset = types.VideoGenerationReferenceType.ASSET
        return [
            types.VideoGenerationReferenceImage(image=_png(p), reference_type=asset)
            for p in references
        ]

    def poll(self, job: VideoJob) -> VideoPoll:
        """The operation's state; when done, the clip, the filter's verdict or the error."""
        # operations.get takes an operation object; a stored name is enough to rebuild one.
        # `name` lives on the SDK's Operation mixin, which mypy does not see as a field.
        pending = types.GenerateVideosOperation(name=job.operation_name)  # type: ignore[call-arg]
        operation = self.call(
            lambda: self.client.operations.get(pending),
        )
        if not operation.done:
            return VideoPoll(done=False)
        if operation.error:
            message = operation.error.get("message") or str(operation.error)
            return VideoPoll(done=True, error=f"{self.model_id}: {message}")
        return self._finished(operation.response or operation.result)

    def _finished(self, result: types.GenerateVideosResponse | None) -> VideoPoll:
        for generated in (result.generated_videos if result else None) or []:
            video = generated.video
            if video and video.video_bytes:
                return VideoPoll(done=True, video=video.video_bytes)
            if video and video.uri:
                return self._download(video.uri)
        if result and (result.rai_media_filtered_count or 0) > 0:
            reasons = tuple(result.rai_media_filtered_reasons or ())
            return VideoPoll(done=True, filtered=True, reasons=reasons)
        return VideoPoll(done=True, error=f"{self.model_id} finished with no video and no reason")

    def _download(self, uri: str) -> VideoPoll:
        if uri.startswith("gs://"):
            # Reading GCS needs storage credentials we do not hold; inline bytes need none.
            return VideoPoll(
                done=True,
                error=f"{self.model_id} wrote the clip to {uri}; set no output_gcs_uri",
            )
        if not uri.startswith(("https://", "http://")):
            return VideoPoll(done=True, error=f"{self.model_id} returned an unreadable uri {uri}")
        response = httpx.get(uri, timeout=DOWNLOAD_TIMEOUT_S, follow_redirects=True)
        response.raise_for_status()
        return VideoPoll(done=True, video=response.content)
