"""Every model the studio knows: provider, role, capabilities and price.

Validation, planning and pricing read only this module; nothing else
hard-codes a duration, a resolution or a price.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

from fvs.errors import ValidationFailed

# Roles a hosted provider is called for.
ROLES = ("planner", "image", "video", "tts", "music")

VIDEO_SIZES = {
    ("480p", "16:9"): (854, 480),
    ("720p", "16:9"): (1280, 720),
    ("1080p", "16:9"): (1920, 1080),
    ("480p", "9:16"): (480, 854),
    ("720p", "9:16"): (720, 1280),
    ("1080p", "9:16"): (1080, 1920),
}
IMAGE_SIZES = {
    ("1K", "16:9"): (1024, 576),
    ("2K", "16:9"): (2048, 1152),
    ("4K", "16:9"): (3840, 2160),
    ("1K", "9:16"): (576, 1024),
    ("2K", "9:16"): (1152, 2048),
    ("4K", "9:16"): (2160, 3840),
}

# Every image model here paints both frame shapes the studio renders.
FRAME_SHAPES = ("16:9", "9:16")
PROJECT_CREATION_CREDITS = 5
# Veo films reference-image-to-video at 8 s, landscape, and without a first frame only.
REFERENCE_VIDEO_SECONDS = 8
REFERENCE_ASPECT_RATIOS = ("16:9",)
# Production (probe, cut, mux, contact sheet) costs one credit per started ten output seconds.
PRODUCTION_SECONDS_PER_CREDIT = 10
# A hosted music model's clips overlap by this much where they are crossfaded into one track.
MUSIC_CROSSFADE_SECONDS = 2.0


@dataclass(frozen=True)
class ModelInfo:
    id: str
    provider: str  # "local" or "google"
    role: str  # one of ROLES
    title: str
    lifecycle: str = "ga"  # ga | preview | deprecated
    deprecated_on: date | None = None
    aliases: tuple[str, ...] = ()
    # video
    durations: tuple[int, ...] = ()
    resolutions: tuple[str, ...] = ()
    # Frame shapes a video or image model makes; empty for planners and voices (no frames).
    aspect_ratios: tuple[str, ...] = ()
    audio: bool = False
    # Filming from reference images (no first frame): how many at most, and the clip
    # lengths and frame shapes the model allows then (Veo 3.1: 3 images, 8 s, 16:9).
    max_reference_images: int = 0
    reference_durations: tuple[int, ...] = ()
    reference_aspect_ratios: tuple[str, ...] = ()
    image_to_video: bool = False
    last_frame: bool = False
    fps: int = 24
    # music: the seconds one call makes (Lyria 2: 30); 0 when one call makes any length
    seconds_per_call: float = 0.0
    # prices in credits (1 credit = 0.01 USD)
    credits_per_call: int = 0  # planner call, tts brief
    credits_per_image: dict[str, int] = field(default_factory=dict)  # by image resolution
    credits_per_second: dict[str, int] = field(default_factory=dict)  # by "720p"/"720p+audio"

    def takes_references(self, *, seconds: int, aspect_ratio: str) -> bool:
        """True when this video model can film a clip of this shape from reference images."""
        return (
            self.max_reference_images > 0
            and seconds in self.reference_durations
            and aspect_ratio in self.reference_aspect_ratios
        )

    def reference_seconds(self, aspect_ratio: str) -> int | None:
        """The clip length a shot filmed from references must have in this frame shape, or
        None when this model films no shot of that shape from references."""
        if self.max_reference_images <= 0 or aspect_ratio not in self.reference_aspect_ratios:
            return None
        allowed = [d for d in self.reference_durations if d in self.durations]
        return max(allowed) if allowed else None

    def video_credits(self, *, seconds: int, resolution: str, audio: bool) -> int:
        key = f"{resolution}+audio" if audio and self.audio else resolution
        rate = self.credits_per_second.get(key, self.credits_per_second.get(resolution))
        if rate is None:
            raise KeyError(f"{self.id} has no price for {key}")
        return rate * seconds


def _veo(
    model_id: str,
    title: str,
    *,
    rate: int,
    rate_silent: int,
    fast_8s_only: bool = False,
    aliases: tuple[str, ...] = (),
    version: str = "3.1",
) -> ModelInfo:
    prices = {}
    for res in ("720p", "1080p"):
        prices[res] = rate_silent
        prices[f"{res}+audio"] = rate
    references = version == "3.1" and not fast_8s_only
    return ModelInfo(
        id=model_id,
        provider="google",
        role="video",
        title=title,
        aliases=aliases,
        durations=(8,) if fast_8s_only else (4, 6, 8),
        resolutions=("720p", "1080p"),
        aspect_ratios=("16:9", "9:16"),
        audio=True,
        max_reference_images=3 if references else 0,
        reference_durations=(REFERENCE_VIDEO_SECONDS,) if references else (),
        reference_aspect_ratios=REFERENCE_ASPECT_RATIOS if references else (),
        image_to_video=not fast_8s_only,
        last_frame=version == "3.1" and not fast_8s_only,
        credits_per_second=prices,
    )


MODELS: tuple[ModelInfo, ...] = (
    # Local, embedded: no network, no GPU. Honest animatics.
    ModelInfo(
        id="local-planner",
        provider="local",
        role="planner",
        title="Rule-based shot planner",
        credits_per_call=1,
    ),
    ModelInfo(
        id="local-painter",
        provider="local",
        role="image",
        aspect_ratios=FRAME_SHAPES,
        title="Procedural keyframe painter",
        credits_per_image={"1K": 1, "2K": 2, "4K": 4},
    ),
    ModelInfo(
        id="local-animatic",
        provider="local",
        role="video",
        title="Keyframe animatic (camera moves over the keyframe)",
        durations=(2, 4, 6, 8, 10),
        resolutions=("480p", "720p", "1080p"),
        aspect_ratios=("16:9", "9:16"),
        audio=True,
        image_to_video=True,
        # Films from reference images under Veo 3.1's limits, so a local rehearsal plans
        # the shots Veo would film from references.
        max_reference_images=3,
        reference_durations=(REFERENCE_VIDEO_SECONDS,),
        reference_aspect_ratios=REFERENCE_ASPECT_RATIOS,
        # Morphs toward the next shot's keyframe over the clip's last second.
        last_frame=True,
        credits_per_second={"480p": 1, "720p": 1, "1080p": 2},
    ),
    ModelInfo(
        id="local-espeak",
        provider="local",
        role="tts",
        title="espeak-ng voice briefs",
        credits_per_call=0,
    ),
    ModelInfo(
        id="local-composer",
        provider="local",
        role="music",
        title="Embedded composer (drums, bass and chords from the instructions)",
        credits_per_call=0,
    ),
    # Google: Veo on Vertex AI, Gemini for text, images and speech.
    _veo("veo-3.1-generate-001", "Veo 3.1", rate=40, rate_silent=20, aliases=("veo-3.1",)),
    _veo(
        "veo-3.1-fast-generate-001",
        "Veo 3.1 Fast",
        rate=15,
        rate_silent=10,
        aliases=("veo-3.1-fast",),
    ),
    _veo(
        "veo-3.0-generate-001",
        "Veo 3.0",
        rate=40,
        rate_silent=20,
        aliases=("veo-3.0",),
        version="3.0",
    ),
    _veo(
        "veo-3.0-fast-generate-001",
        "Veo 3.0 Fast (8 s, text-to-video only)",
        rate=15,
        rate_silent=10,
        fast_8s_only=True,
        aliases=("veo-3.0-fast",),
        version="3.0",
    ),
    ModelInfo(
        id="gemini-2.5-flash",
        provider="google",
        role="planner",
        title="Gemini 2.5 Flash planner",
        credits_per_call=2,
    ),
    ModelInfo(
        id="gemini-2.5-pro",
        provider="google",
        role="planner",
        title="Gemini 2.5 Pro planner",
        credits_per_call=6,
    ),
    ModelInfo(
        id="gemini-2.5-flash-image",
        provider="google",
        role="image",
        aspect_ratios=FRAME_SHAPES,
        title="Gemini 2.5 Flash Image",
        credits_per_image={"1K": 4},
    ),
    ModelInfo(
        id="gemini-3-pro-image-preview",
        provider="google",
        role="image",
        aspect_ratios=FRAME_SHAPES,
        title="Gemini 3 Pro Image",
        lifecycle="preview",
        credits_per_image={"1K": 14, "2K": 14, "4K": 24},
    ),
    ModelInfo(
        id="imagen-4.0-generate-001",
        provider="google",
        role="image",
        aspect_ratios=FRAME_SHAPES,
        title="Imagen 4 (no reference images: subjects kept by description)",
        # google-genai deprecates generate_images; removal not before this date.
        lifecycle="deprecated",
        deprecated_on=date(2027, 1, 1),
        credits_per_image={"1K": 4, "2K": 6},
    ),
    # Lyria 2 on Vertex AI: USD 0.06 a 30 s track; longer tracks take one call per 30 s.
    ModelInfo(
        id="lyria-002",
        provider="google",
        role="music",
        title="Lyria 2 (30 s instrumental tracks)",
        seconds_per_call=30.0,
        credits_per_call=6,
    ),
    ModelInfo(
        id="gemini-2.5-flash-preview-tts",
        provider="google",
        role="tts",
        title="Gemini 2.5 Flash TTS",
        lifecycle="preview",
        credits_per_call=1,
    ),
)

_BY_ID = {m.id: m for m in MODELS}
_BY_ALIAS = {alias: m for m in MODELS for alias in m.aliases}

# The embedded stand-in for each role when a model's provider is not configured.
LOCAL_STANDINS = {
    "planner": "local-planner",
    "image": "local-painter",
    "video": "local-animatic",
    "tts": "local-espeak",
    "music": "local-composer",
}


def find(model_id: str) -> ModelInfo | None:
    """The model with this id or alias, or None."""
    return _BY_ID.get(model_id) or _BY_ALIAS.get(model_id)


def require(model_id: str, *, role: str, field_name: str) -> ModelInfo:
    """The model with this id for this role, or a 422 naming the field."""
    model = find(model_id)
    if model is not None and model.role == role:
        return model
    known = ", ".join(m.id for m in MODELS if m.role == role)
    if model is not None:
        # A real model in the wrong field: say which field it belongs in.
        raise ValidationFailed(
            field_name,
            f"{model_id!r} is a {model.role} model (it goes in {model.role}_model), "
            f"not a {role} model; "
            f"{role} models: {known}",
        )
    raise ValidationFailed(field_name, f"unknown {role} model {model_id!r}; known: {known}")


def models_for(role: str) -> list[ModelInfo]:
    return [m for m in MODELS if m.role == role]


def local_standin(role: str) -> ModelInfo:
    return _BY_ID[LOCAL_STANDINS[role]]


def video_size(resolution: str, aspect_ratio: str) -> tuple[int, int]:
    return VIDEO_SIZES[(resolution, aspect_ratio)]


def image_size(resolution: str, aspect_ratio: str) -> tuple[int, int]:
    return IMAGE_SIZES[(resolution, aspect_ratio)]


def production_credits(output_seconds: float) -> int:
    return max(1, math.ceil(output_seconds / PRODUCTION_SECONDS_PER_CREDIT))


def music_calls(model: ModelInfo, seconds: float) -> int:
    """Calls a music model makes for a track of at least `seconds`.

    Each clip after the first adds its length less the crossfade that joins it on.
    """
    clip = model.seconds_per_call
    if clip <= 0 or seconds <= clip:
        return 1
    return 1 + math.ceil((seconds - clip) / (clip - MUSIC_CROSSFADE_SECONDS))
