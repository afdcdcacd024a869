"""The one definition of a render's statuses, stages and pipeline steps.

Progress weights, the step-to-stage map, the studio's timeline and the stages that
speak a voice brief all derive from WORK_STAGES; nothing else lists stages.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


TERMINAL = (Status.COMPLETED, Status.FAILED, Status.CANCELLED)


class Stage(StrEnum):
    INPUT = "input"
    PLANNING = "planning"
    STORYBOARDING = "storyboarding"
    HALTED_FOR_REVIEW = "halted_for_review"
    FILMING = "filming"
    PRODUCTION = "production"
    COMPLETED = "completed"


class Step(StrEnum):
    PLAN = "plan"
    REFERENCES = "references"
    KEYFRAME = "keyframe"
    REPAINT = "repaint"
    FILM = "film"
    PRODUCE = "produce"


@dataclass(frozen=True)
class WorkStage:
    stage: Stage
    weight: float  # share of the progress bar
    steps: tuple[Step, ...]
    per_shot_output: str | None = None  # the Shot column that counts this stage's progress


WORK_STAGES = (
    WorkStage(Stage.PLANNING, 0.05, (Step.PLAN,)),
    WorkStage(
        Stage.STORYBOARDING,
        0.15,
        (Step.REFERENCES, Step.KEYFRAME, Step.REPAINT),
        per_shot_output="keyframe_path",
    ),
    WorkStage(Stage.FILMING, 0.7, (Step.FILM,), per_shot_output="clip_path"),
    WorkStage(Stage.PRODUCTION, 0.1, (Step.PRODUCE,)),
)
STAGE_OF_STEP = {step: w.stage for w in WORK_STAGES for step in w.steps}
# Steps that run once per shot; executors cap how many run at once.
PER_SHOT_STEPS = (Step.KEYFRAME, Step.FILM)
# Each work stage can end with a spoken brief.
VOICE_STAGES = tuple(w.stage for w in WORK_STAGES)
# The stages a person sees on the project page, in order.
TIMELINE = (*VOICE_STAGES, Stage.COMPLETED)
