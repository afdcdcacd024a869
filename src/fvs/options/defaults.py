"""What a render may choose, and what it gets when nobody chose.

The studio's defaults, the fields an account may save as its own, their
validation against the model registry, and the choice lists the forms offer.
Accounts and renders both read this; it imports neither.
"""

from __future__ import annotations

from typing import Any

from fvs.config import Settings
from fvs.errors import ValidationFailed
from fvs.media.transitions import DEFAULT_SECONDS, KINDS, MAX_SECONDS, MIN_SECONDS
from fvs.providers import registry
from fvs.providers.styles import DEFAULT_PRESET, PRESET_NAMES

STUDIO_DEFAULTS: dict[str, Any] = {
    "project_mode": "scene",
    "video_model": "local-animatic",
    "video_resolution": "720p",
    "image_resolution": "1K",
    "aspect_ratio": "16:9",
    "stage_voice_briefs_enabled": False,
    "planner_model": "local-planner",
    "image_model": "local-painter",
    "tts_model": "local-espeak",
    "music_model": "local-composer",
    # run_all, or halt_for_review: stop after storyboarding until the user approves.
    "stage_behaviour": "run_all",
    "visual_style_preset": DEFAULT_PRESET,
    # How each shot gives way to the next: cut, crossfade, dip_to_black or continuous.
    "transition": "cut",
    "transition_seconds": DEFAULT_SECONDS,
}
# The modes an account may save as its default. custom is chosen per request, since it
# needs the request's own shots; a music default composes a track when none is sent.
PROJECT_MODES = ("scene", "music")
STAGE_BEHAVIOURS = ("run_all", "halt_for_review")
STAGE_BEHAVIOUR_LABELS = {
    "run_all": "Run all stages",
    "halt_for_review": "Halt for storyboard review",
}
# With Google credentials, the studio's own defaults are the real models.
GOOGLE_DEFAULTS = {
    "video_model": "veo-3.1-fast-generate-001",
    "planner_model": "gemini-2.5-flash",
    "image_model": "gemini-3-pro-image-preview",
    "tts_model": "gemini-2.5-flash-preview-tts",
    "music_model": "lyria-002",
}
# Fields an account may save as its defaults.
DEFAULTABLE = tuple(STUDIO_DEFAULTS)
# Each model field and the registry role its model must have.
MODEL_ROLES = {
    "planner_model": "planner",
    "image_model": "image",
    "video_model": "video",
    "tts_model": "tts",
    "music_model": "music",
}


def studio_defaults(settings: Settings) -> dict[str, Any]:
    """The studio's defaults: local models, or Google's where Google is configured."""
    return {**STUDIO_DEFAULTS, **(GOOGLE_DEFAULTS if settings.google_configured else {})}


def saved_defaults(defaults: dict[str, Any] | None) -> dict[str, Any]:
    """An account's saved defaults, without keys this studio no longer knows."""
    return {k: v for k, v in (defaults or {}).items() if k in DEFAULTABLE and v is not None}


def require_models(values: dict[str, Any]) -> dict[str, registry.ModelInfo]:
    """The registry entry of each model field, or 422 naming the field."""
    return {
        field: registry.require(values[field], role=role, field_name=field)
        for field, role in MODEL_ROLES.items()
    }


def check_model_options(values: dict[str, Any], models: dict[str, registry.ModelInfo]) -> None:
    """Resolutions and aspect ratio must be ones the chosen models offer; 422 otherwise."""
    video, image = models["video_model"], models["image_model"]
    check_choice("video_resolution", values["video_resolution"], video.resolutions, video.id)
    check_choice("aspect_ratio", values["aspect_ratio"], video.aspect_ratios, video.id)
    check_choice("aspect_ratio", values["aspect_ratio"], image.aspect_ratios, image.id)
    check_choice(
        "image_resolution", values["image_resolution"], tuple(image.credits_per_image), image.id
    )


def validate_defaults(values: dict[str, Any]) -> dict[str, Any]:
    """Account defaults checked against the registry; 422 naming the first bad field."""
    unknown = sorted(set(values) - set(DEFAULTABLE))
    if unknown:
        raise ValidationFailed(
            unknown[0], f"not an account default; known: {', '.join(DEFAULTABLE)}"
        )
    merged = {**STUDIO_DEFAULTS, **{k: v for k, v in values.items() if v is not None}}
    for field, value in merged.items():
        _check_type(field, value)
    models = require_models(merged)
    check_model_options(merged, models)
    check_transition(merged, models["video_model"])
    check_choice("project_mode", merged["project_mode"], PROJECT_MODES, "the studio")
    check_choice("stage_behaviour", merged["stage_behaviour"], STAGE_BEHAVIOURS, "the studio")
    check_choice("visual_style_preset", merged["visual_style_preset"], PRESET_NAMES, "the studio")
    return {k: (models[k].id if k in models else v) for k, v in values.items() if v is not None}


def _check_type(field: str, value: Any) -> None:
    if field == "transition_seconds":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationFailed(field, "must be a number")
        return
    expected = bool if field == "stage_voice_briefs_enabled" else str
    if not isinstance(value, expected):
        raise ValidationFailed(field, f"must be a {expected.__name__}")


def check_transition(
    values: dict[str, Any], video: registry.ModelInfo, *, field: str = "transition"
) -> None:
    """A known transition, seconds in range, and continuous only where the video model can
    film to a last frame; 422 naming the field otherwise."""
    check_choice(field, values["transition"], KINDS, "the studio")
    seconds = float(values["transition_seconds"])
    if not MIN_SECONDS <= seconds <= MAX_SECONDS:
        raise ValidationFailed(
            f"{field}_seconds", f"must be {MIN_SECONDS} to {MAX_SECONDS} s; not {seconds:g}"
        )
    if values["transition"] == "continuous" and not video.last_frame:
        raise ValidationFailed(
            field, f"{video.id} cannot film to a last frame, so it cannot film continuous shots"
        )


def check_choice(field: str, value: str, allowed: tuple[str, ...], offered_by: str) -> None:
    """422 naming the field unless value is one of allowed."""
    if value not in allowed:
        raise ValidationFailed(field, f"{offered_by} offers {', '.join(allowed)}; not {value!r}")


def choices(field: str) -> list[tuple[str, str]]:
    """(value, label) pairs a form offers for one render option, from the registry."""
    if field in MODEL_ROLES:
        return [(m.id, f"{m.title} ({m.id})") for m in registry.models_for(MODEL_ROLES[field])]
    if field == "stage_behaviour":
        return [(b, STAGE_BEHAVIOUR_LABELS[b]) for b in STAGE_BEHAVIOURS]
    video = registry.models_for("video")
    options: dict[str, tuple[str, ...]] = {
        "video_resolution": tuple(r for m in video for r in m.resolutions),
        "aspect_ratio": tuple(a for m in video for a in m.aspect_ratios),
        "image_resolution": tuple(
            r for m in registry.models_for("image") for r in m.credits_per_image
        ),
        "stage_voice_briefs_enabled": ("on", "off"),
        "project_mode": PROJECT_MODES,
        "visual_style_preset": PRESET_NAMES,
        "transition": KINDS,
        "transition_seconds": tuple(f"{tenths / 10:g}" for tenths in range(2, 11)),
    }
    values = options.get(field, (str(STUDIO_DEFAULTS[field]),))
    return [(v, v) for v in dict.fromkeys(values)]
