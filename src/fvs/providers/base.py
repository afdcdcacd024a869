"""The interfaces the pipeline talks to, and the plain data that crosses them.

The pipeline never imports a concrete provider; it asks the registry for one by
model id and calls these methods. Everything here is plain data so plans and
results can be stored as JSON (pydantic models) and resumed after a restart.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from fvs.media.transitions import Transition, overlap_seconds

# Recurring subjects a plan may name, each painted as one reference image.
MAX_SUBJECTS = 4
CAMERA_MOVES = ("push_in", "pull_out", "pan_left", "pan_right", "tilt_up", "tilt_down", "static")
# How a shot's clip is made: from its keyframe (the default); from its keyframe to the next
# shot's (continuous, a model with a last frame); or from its subjects' reference images
# (no first frame and no last frame).
FILMED_FROM = ("keyframe", "keyframe_to_next", "references")
# The transitions a plan may choose between, given the render's own: a choice never
# changes the running time the durations were planned for.
TRANSITION_CHOICES = {
    "cut": ("cut",),
    "continuous": ("continuous",),
    "crossfade": ("crossfade", "dip_to_black"),
    "dip_to_black": ("crossfade", "dip_to_black"),
}


class PlanModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Subject(PlanModel):
    """A recurring subject the keyframes must draw the same way in every shot."""

    key: str  # stable slug, e.g. "young-woman"
    description: str  # e.g. "a young woman"
    palette: tuple[str, ...] = ()  # hex colours, e.g. ("#c0392b", "#2c3e50")
    # The storage key of an uploaded image that is this subject's reference, used as painted.
    reference: str | None = None


class ContinuityBible(PlanModel):
    subjects: tuple[Subject, ...]
    setting: str
    palette: tuple[str, ...]  # hex colours for the world, darkest first
    style: str
    text_overlays_allowed: bool = False
    preset: str = "realistic_cinematic"  # a visual style preset (providers/styles.py)


class ShotPlan(PlanModel):
    index: int  # 0-based
    text: str  # the screenplay beat this shot films
    image_prompt: str
    video_prompt: str
    camera_move: str  # one of CAMERA_MOVES
    duration_seconds: int
    subject_keys: tuple[str, ...] = ()  # which bible subjects appear
    # Music mode: the exact beat-aligned span on the track; duration_seconds is what is filmed.
    start_seconds: float | None = None
    end_seconds: float | None = None
    # How this shot gives way to the next (ignored on the last shot).
    transition: str = "cut"
    transition_seconds: float = 0.5
    # One of FILMED_FROM; plans stored before the choice existed read back as "keyframe".
    filmed_from: str = "keyframe"

    def transition_out(self) -> Transition:
        return Transition(self.transition, self.transition_seconds)


class ReferenceUse(PlanModel):
    """How the planner used one of the request's reference images (by its position)."""

    index: int  # 0-based, into PlanRequest.reference_images
    used_as: str | None  # e.g. "subject reference for Mara", "style palette"; None: unused
    why: str = ""  # why it was used this way, or why not at all


class Plan(PlanModel):
    """A render's shot list and continuity bible; stored on the project as JSON."""

    shots: tuple[ShotPlan, ...]
    bible: ContinuityBible
    # Plans stored before reference uses were recorded read back with none.
    reference_uses: tuple[ReferenceUse, ...] = ()
    # What planning had to say: answers rejected and asked again, repairs made.
    notes: tuple[str, ...] = ()

    @property
    def total_seconds(self) -> int:
        return sum(s.duration_seconds for s in self.shots)

    def transitions(self) -> list[Transition]:
        """The transition out of every shot but the last."""
        return [s.transition_out() for s in self.shots[:-1]]

    @property
    def delivered_seconds(self) -> float:
        """How long the film runs: its clips less the overlaps of its transitions."""
        return self.total_seconds - overlap_seconds(self.transitions())


@dataclass(frozen=True)
class PlanRequest:
    screenplay: str
    instructions: str
    shot_count: int
    target_seconds: float
    allowed_durations: tuple[int, ...]  # from the video model's capabilities
    reference_images: tuple[Path, ...] = ()  # user-uploaded subject references
    style_preset: str = "realistic_cinematic"
    # Music mode: each shot's clip length, fixed by the beat grid (empty: the planner chooses).
    shot_durations: tuple[int, ...] = ()
    # The clip length a shot filmed from its subjects' reference images must have (Veo 3.1:
    # 8 s); None when the video model films no shot of this render's shape that way.
    reference_seconds: int | None = None
    # The render's transition between shots; the plan may choose per cut among
    # TRANSITION_CHOICES[transition].
    transition: str = "cut"
    transition_seconds: float = 0.5

    @property
    def transition_choices(self) -> tuple[str, ...]:
        return TRANSITION_CHOICES.get(self.transition, ("cut",))


@dataclass(frozen=True)
class ImageSize:
    width: int
    height: int


@dataclass(frozen=True)
class ClipSpec:
    width: int
    height: int
    fps: int
    duration_seconds: int
    seed: int = 0
    audio: bool = True  # ambience when True, silence otherwise (a track is always present)


class Planner(Protocol):
    def plan(self, request: PlanRequest) -> Plan: ...


class ImagePainter(Protocol):
    def paint_reference(
        self, subject: Subject, bible: ContinuityBible, size: ImageSize, out_path: Path
    ) -> Path: ...

    def paint_keyframe(
        self,
        shot: ShotPlan,
        bible: ContinuityBible,
        size: ImageSize,
        references: dict[str, Path],
        out_path: Path,
    ) -> Path: ...


class VideoFilmer(Protocol):
    def film(
        self,
        shot: ShotPlan,
        keyframe: Path,
        spec: ClipSpec,
        out_path: Path,
        *,
        last_frame: Path | None = None,
    ) -> Path:
        """Film shot from keyframe; with last_frame, end the clip on that picture."""
        ...


@runtime_checkable
class ReferenceFilmer(Protocol):
    """A video filmer that can also film a shot from its subjects' reference images alone."""

    def film_from_references(
        self,
        shot: ShotPlan,
        references: tuple[Path, ...],
        bible: ContinuityBible,
        spec: ClipSpec,
        out_path: Path,
    ) -> Path: ...


@dataclass(frozen=True)
class MusicRequest:
    """What a composer is asked for: an instrumental in the mood the instructions set."""

    instruction: str  # the render's instructions: tempo ("97 bpm") and mood words
    duration_seconds: float  # the track lasts at least this long
    seed: int = 0


class Composer(Protocol):
    def compose(self, request: MusicRequest, out_path: Path) -> Path:
        """Write a track (WAV) of at least request.duration_seconds to out_path."""
        ...


class NarratorUnavailable(Exception):
    """No speech engine can run here (e.g. espeak-ng is not installed)."""


class Narrator(Protocol):
    def available(self) -> bool: ...

    def speak(self, text: str, out_path: Path) -> Path: ...


@dataclass(frozen=True)
class VideoJob:
    """A long-running video generation, started and then polled by name."""

    operation_name: str


@dataclass(frozen=True)
class VideoPoll:
    done: bool
    video: bytes | None = None  # the clip, when done and not withheld
    filtered: bool = False  # done, but the safety filter withheld the clip
    reasons: tuple[str, ...] = ()  # the filter's reasons, as the provider gives them
    error: str | None = None  # done with a provider error


@runtime_checkable
class RemoteVideoFilmer(Protocol):
    """A video model behind a long-running operation (Veo). The pipeline persists the
    operation name between start and poll, so a restarted worker polls instead of paying
    again, and re-schedules polls instead of sleeping."""

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
    ) -> VideoJob: ...

    def poll(self, job: VideoJob) -> VideoPoll: ...
