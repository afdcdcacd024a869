"""A render's resolved settings: request fields over account defaults over the studio's.

Resolved once at submit, validated against the registry, stored on the project as
JSON and read back typed by every stage, price and status.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from fvs.providers import registry


class Execution(BaseModel):
    """Which model was asked for a role, and which one really runs it here."""

    model_config = ConfigDict(frozen=True)

    model: str
    runs_on: str
    provider: str
    standin: bool


class Executions(BaseModel):
    model_config = ConfigDict(frozen=True)

    planner: Execution
    image: Execution
    video: Execution
    tts: Execution
    # Renders stored before music mode read back without a music execution.
    music: Execution | None = None

    def of(self, role: str) -> Execution:
        """The execution of a role: planner, image, video, tts or music."""
        execution: Execution = getattr(self, role)
        return execution


class CustomShot(BaseModel):
    """A shot the caller wrote (custom mode): filmed as given, never planned."""

    model_config = ConfigDict(frozen=True)

    prompt: str
    duration_seconds: int
    camera: str | None = None
    assets: tuple[str, ...] = ()
    dialogue: str | None = None
    # How the shot gives way to the next; None: the render's transition.
    transition: str | None = None
    transition_seconds: float | None = None


class AssetUse(BaseModel):
    """A request's description of one uploaded file: its name, label and purpose."""

    model_config = ConfigDict(frozen=True)

    filename: str
    label: str | None = None
    purpose: str | None = None


class ResolvedRender(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    project_mode: str
    video_model: str
    video_resolution: str
    image_resolution: str
    aspect_ratio: str
    stage_voice_briefs_enabled: bool
    planner_model: str
    image_model: str
    tts_model: str
    music_model: str = "local-composer"
    stage_behaviour: str
    name: str
    screenplay: str
    instructions: str
    shot_count: int
    scene_target_duration_seconds: float
    planned_durations: list[int]
    executions: Executions
    seed: int | None = None
    # Renders stored before presets, custom shots and asset purposes read back without them.
    visual_style_preset: str = "realistic_cinematic"
    custom_shots: tuple[CustomShot, ...] = ()
    assets: tuple[AssetUse, ...] = ()
    # Music mode: the caller's shot count (None: one shot per phrase), the clips' own
    # sound under the track (mute, duck or keep; scene and custom renders keep it), lyrics.
    requested_shot_count: int | None = None
    clip_audio: str = "keep"
    lyrics: str = ""
    track_upload: str | None = None  # the uploaded track's file name; None: composed
    # How each shot gives way to the next, unless a custom shot or the plan says otherwise.
    transition: str = "cut"
    transition_seconds: float = 0.5

    def runs_on(self, role: str) -> registry.ModelInfo:
        """The registry entry of the model that really runs a role."""
        model = registry.find(self.executions.of(role).runs_on)
        assert model is not None, self.executions.of(role)
        return model

    @property
    def halts_for_review(self) -> bool:
        """True when the render stops after the storyboard for a person to approve it."""
        return self.stage_behaviour == "halt_for_review"

    @property
    def is_custom(self) -> bool:
        """True when the caller wrote the shots: no planner call, no planning charge."""
        return self.project_mode == "custom"

    @property
    def is_music(self) -> bool:
        """True when the film is cut to a soundtrack's beats."""
        return self.project_mode == "music"

    @property
    def films_sound(self) -> bool:
        """False when the clips' own sound is muted under a track: they are filmed silent."""
        return not (self.is_music and self.clip_audio == "mute")

    def public(self) -> dict[str, Any]:
        """What the status shows of the settings: everything but the texts."""
        return self.model_dump(
            exclude={"screenplay", "instructions", "custom_shots", "assets", "lyrics"},
            exclude_none=True,
        )
