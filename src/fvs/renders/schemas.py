"""The agent API's request and response bodies, exactly as seed/agent-api.txt shows them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from fvs.errors import ValidationFailed
from fvs.media.transitions import KINDS, MAX_SECONDS, MIN_SECONDS
from fvs.providers.base import CAMERA_MOVES
from fvs.providers.styles import PRESET_NAMES
from fvs.webhooks.catalog import RENDER_EVENTS

MAX_SHOTS = 64
AssetPurpose = Literal[
    "character_reference",
    "location_reference",
    "style_reference",
    "logo_reference",
    "music_reference",
    "soundtrack",
    "document_reference",
]
ProjectMode = Literal["scene", "custom", "music"]
StylePreset = Literal[PRESET_NAMES]  # type: ignore[valid-type]
CameraMove = Literal[CAMERA_MOVES]  # type: ignore[valid-type]
RenderEvent = Literal[RENDER_EVENTS]  # type: ignore[valid-type]
TransitionKind = Literal[KINDS]  # type: ignore[valid-type]


class AssetRequest(BaseModel):
    """One uploaded file described: which part it is (by file name) and what it is for."""

    model_config = ConfigDict(extra="forbid", strict=True)

    filename: str = Field(min_length=1, max_length=200)
    label: str | None = Field(default=None, max_length=100)
    purpose: AssetPurpose | None = None


class ShotRequest(BaseModel):
    """One shot of a custom render, as the caller wrote it."""

    model_config = ConfigDict(extra="forbid", strict=True)

    prompt: str = Field(min_length=1, max_length=4_000)
    duration_seconds: int
    camera: CameraMove | None = None
    assets: list[str] = Field(default_factory=list, max_length=8)
    dialogue: str | None = Field(default=None, max_length=1_000)
    # How this shot gives way to the next; omitted: the render's transition.
    transition: TransitionKind | None = None
    transition_seconds: float | None = Field(default=None, ge=MIN_SECONDS, le=MAX_SECONDS)


class RenderRequest(BaseModel):
    """A render request. Omitted optional fields take the owning account's defaults."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: str | None = Field(default=None, max_length=200)
    # music is a known mode, refused until music mode exists.
    project_mode: ProjectMode | None = None
    # Required in scene mode; optional in custom mode, where the shots say what to film.
    screenplay: str = Field(default="", max_length=20_000)
    instructions: str = Field(default="", max_length=5_000)
    shot_count: int | None = Field(default=None, ge=1, le=MAX_SHOTS)
    scene_target_duration_seconds: float | None = Field(default=None, ge=4, le=600)
    image_resolution: str | None = None
    video_model: str | None = None
    video_resolution: str | None = None
    stage_voice_briefs_enabled: bool | None = None
    wait_for_completion_seconds: float = Field(default=0, ge=0)
    # Our additions; the seed's fields above keep their names and meaning.
    aspect_ratio: Literal["16:9", "9:16"] | None = None
    planner_model: str | None = None
    image_model: str | None = None
    tts_model: str | None = None
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)
    stage_behaviour: Literal["run_all", "halt_for_review"] | None = None
    # The hosted studio's fields (see docs/DECISIONS.md, "Modes, assets and presets").
    visual_style_preset: StylePreset | None = None
    assets: list[AssetRequest] = Field(default_factory=list, max_length=32)
    shots: list[ShotRequest] | None = Field(default=None, min_length=1, max_length=MAX_SHOTS)
    # Music mode's fields: known, so a hosted client's request parses; noted and unused here.
    lyrics: str | None = Field(default=None, max_length=20_000)
    music_model: str | None = Field(default=None, max_length=200)
    # The clips' own sound under the track: mute (music mode's default), duck or keep.
    clip_audio: Literal["mute", "duck", "keep"] | None = None
    # Signed webhooks (Standard Webhooks) for this render's events, besides the account's.
    webhook_url: str | None = Field(default=None, min_length=1, max_length=2000)
    webhook_events: list[RenderEvent] | None = Field(default=None, max_length=len(RENDER_EVENTS))
    # How each shot gives way to the next (docs/DECISIONS.md, "Transitions").
    transition: TransitionKind | None = None
    transition_seconds: float | None = Field(default=None, ge=MIN_SECONDS, le=MAX_SECONDS)

    @field_validator("*", mode="after")
    @classmethod
    def no_nul_characters(cls, value: Any) -> Any:
        # PostgreSQL cannot store NUL in text, and no screenplay needs one.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("contains a NUL character")
        return value


class ShotStatus(BaseModel):
    number: int  # 1-based, as /shots/{number}/regenerate and every message count shots
    index: int  # 0-based, kept for clients written before `number`
    text: str
    duration_seconds: int
    camera_move: str
    keyframe_url: str | None
    clip_url: str | None
    state: str  # planned | keyframed | filmed
    notes: list[str]  # e.g. attempts the video model's safety filter withheld
    # Music mode: the shot's beat-aligned span on the track; null in other modes.
    start_seconds: float | None = None
    end_seconds: float | None = None
    # How the shot gives way to the next (null on the last shot).
    transition: str | None = None
    transition_seconds: float | None = None
    # How the plan has the clip made: "keyframe" (image-to-video from the shot's keyframe),
    # "keyframe_to_next" (from its keyframe to the next shot's, continuous) or "references"
    # (from its subjects' reference images, no first or last frame); null before planning.
    filmed_from: str | None = None


class MusicSectionStatus(BaseModel):
    start_seconds: float
    end_seconds: float


class MusicStatus(BaseModel):
    """A music render's track as measured at planning."""

    source: str  # uploaded | composed
    duration_seconds: float
    bpm: float
    beat_count: int
    sections: list[MusicSectionStatus]


class UploadStatus(BaseModel):
    """A file sent with the request, and how the plan used it."""

    part: str
    filename: str
    kind: str  # image | audio | text | document (a PDF)
    content_type: str
    size_bytes: int
    # e.g. "subject reference for Mara", "style palette"; null (with a note) when unused,
    # and null until planning decides.
    used_as: str | None
    # From the request's `assets` entry naming this file; null when none does.
    label: str | None = None
    purpose: str | None = None
    url: str | None = None  # a signed link to the stored file


class RenderStatus(BaseModel):
    # The seed's fields, in the seed's order. Never rename or drop one.
    project_id: str
    name: str
    status: str
    current_stage: str
    is_running: bool
    run_id: str | None
    final_video_url: str | None
    last_error: str | None
    asset_count: int
    clip_count: int
    status_url: str
    cancel_url: str
    # Additions.
    # A storyboard halted for review waits for POST approve_url (null otherwise); a waiting
    # client stops here, as at completed, failed or cancelled.
    needs_approval: bool
    approve_url: str | None
    progress: float
    credits_reserved: int
    credits_settled: int
    stage_providers: dict[str, Any]
    notes: list[str]
    shots: list[ShotStatus]
    contact_sheet_url: str | None
    voice_briefs: list[dict[str, Any]]
    uploads: list[UploadStatus]
    settings: dict[str, Any]
    created_at: str
    updated_at: str
    # Music mode's track once planning measured it; null in other modes.
    music: MusicStatus | None = None


class Estimate(BaseModel):
    """POST /api/agent/renders/estimate: the resolved settings and what they would cost."""

    settings: dict[str, Any]
    planned_durations: list[int]
    credits_estimated: int
    credits_breakdown: dict[str, int]
    available_credits: int
    affordable: bool


class RenderSummary(BaseModel):
    """One render in the studio's list (GET /api/account/projects)."""

    project_id: str
    name: str
    status: str
    current_stage: str
    clip_count: int
    progress: float
    shot_count: int
    credits_settled: int
    credits_reserved: int
    created_at: str


def parse_render_request(raw: Any) -> RenderRequest:
    """Validate a request body; the first problem becomes a 422 naming its field."""
    if not isinstance(raw, dict):
        raise ValidationFailed("request_json", "the request must be a JSON object")
    try:
        return RenderRequest.model_validate(raw)
    except ValidationError as exc:
        details = [
            {"field": field_path(e["loc"]) or "request_json", "message": _plain(e)}
            for e in exc.errors()
        ]
        first = details[0]
        raise ValidationFailed(first["field"], first["message"], details=details) from None


def field_path(loc: tuple[Any, ...]) -> str:
    """A pydantic location as a field path, e.g. ("shots", 1, "camera") -> "shots[1].camera"."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else str(part)
    return path


def _plain(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown field"
    if error["type"] == "missing":
        return "this field is required"
    return str(error["msg"])
