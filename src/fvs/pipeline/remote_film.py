"""Filming on a remote video model (Veo): start once, save the operation, poll by re-scheduling.

The operation name is committed before the first poll, so a worker that dies
mid-wait is followed by one that polls the same operation instead of paying for a
second clip. Waiting is a re-scheduled job, never a sleeping thread. A clip the
safety filter withholds is not billed; it is retried with a softened prompt a few
times, each attempt noted on the shot.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from fvs.jobs.service import JobRef
from fvs.models.base import utcnow
from fvs.pipeline import repository, state
from fvs.providers.base import ClipSpec, ContinuityBible, RemoteVideoFilmer, ShotPlan, VideoJob
from fvs.providers.styles import styled
from fvs.studio import Studio

NO_TEXT = "text, subtitles, captions, watermark, logo"
# Words that trip the filter without carrying the shot: violence, gore, real people.
SOFTEN_WORDS = re.compile(
    r"\b(blood\w*|bloody|gor(e|y)|kill\w*|murder\w*|weapon\w*|guns?|gunfire|rifles?|knife|"
    r"knives|sword\w*|violen\w*|explo\w*|corpse\w*|dead|death|wound\w*|fight\w*|attack\w*|"
    r"naked|nude|celebrit\w*|famous|president|politician\w*|lookalike|look-alike)\b",
    re.IGNORECASE,
)
FRAMINGS = (
    "A calm, tasteful cinematic shot suitable for all audiences. ",
    "A gentle, family-friendly cinematic shot of fictional characters, nobody in danger. ",
    "A soft, abstract, dreamlike cinematic shot with no people in danger. ",
)


def soften_prompt(prompt: str, attempt: int) -> str:
    """A softer, deterministic rewrite of a prompt the safety filter withheld; gentler each try."""
    softened = SOFTEN_WORDS.sub("", prompt)
    softened = re.sub(r"\s+([,.;:!?])", r"\1", re.sub(r"\s{2,}", " ", softened)).strip()
    framing = FRAMINGS[min(max(attempt, 1), len(FRAMINGS)) - 1]
    return framing + softened


class ClipWithheld(Exception):
    """The safety filter withheld every attempt at a clip."""


@dataclass(frozen=True)
class Operation:
    name: str | None
    started_at: datetime | None
    safety_retries: int


def negative_prompt(bible: ContinuityBible) -> str:
    return "" if bible.text_overlays_allowed else NO_TEXT


@dataclass(frozen=True)
class Frames:
    """What a clip starts from: its keyframe, or its subjects' uploaded reference pictures."""

    keyframe: str | None
    references: tuple[str, ...] = ()
    last_frame: str | None = None  # a continuous shot ends on the next shot's keyframe


def _operation(studio: Studio, job: JobRef) -> Operation:
    with studio.db.read() as session:
        row = repository.shot(session, job.project_id, job.shot_index)
        return Operation(row.operation_name, row.operation_started_at, row.safety_retries)


def _update_shot(studio: Studio, job: JobRef, **values: object) -> None:
    def apply(session: Session) -> None:
        project = repository.lock_project(session, job.project_id)
        if state.is_active(project, job.run_id):
            row = repository.shot(session, job.project_id, job.shot_index)
            for name, value in values.items():
                setattr(row, name, value)

    studio.db.transact(apply)


def film_remote(
    studio: Studio,
    job: JobRef,
    *,
    filmer: RemoteVideoFilmer,
    model_id: str,
    shot: ShotPlan,
    bible: ContinuityBible,
    spec: ClipSpec,
    keyframe: str | None,
    out: str,
    references: tuple[str, ...] = (),
    last_frame: str | None = None,
) -> bool:
    """True once the clip is stored as `out`; False when the job was re-scheduled to poll."""
    op = _operation(studio, job)
    if op.name is None:
        frames = Frames(keyframe, references, last_frame)
        op = _start(
            studio, job, filmer=filmer, shot=shot, bible=bible, spec=spec, frames=frames, op=op
        )
    result = filmer.poll(VideoJob(operation_name=str(op.name)))
    if not result.done:
        _poll_later(studio, job, op, model_id)
        return False
    if result.video:
        studio.storage.put_bytes(out, result.video, "video/mp4")
        return True
    _update_shot(studio, job, operation_name=None)
    if result.filtered:
        return _withheld(studio, job, op, model_id, result.reasons)
    raise RuntimeError(f"{model_id} failed: {result.error or 'no video and no reason given'}")


def _start(
    studio: Studio,
    job: JobRef,
    *,
    filmer: RemoteVideoFilmer,
    shot: ShotPlan,
    bible: ContinuityBible,
    spec: ClipSpec,
    frames: Frames,
    op: Operation,
) -> Operation:
    """Start the clip (softened after a withheld attempt) and save its operation on the shot."""
    asked = styled(shot.video_prompt, bible.preset)
    prompt = asked if op.safety_retries == 0 else soften_prompt(asked, op.safety_retries)
    # Only a start reads the keyframe; polls never fetch it.
    with studio.storage.workspace(job.project_id) as workspace:
        image = workspace.input(frames.keyframe) if frames.keyframe else None
        started = filmer.start(
            shot,
            image,
            spec,
            prompt=prompt,
            negative_prompt=negative_prompt(bible),
            references=tuple(workspace.input(key) for key in frames.references),
            last_frame=workspace.input(frames.last_frame) if frames.last_frame else None,
        )
    op = Operation(started.operation_name, utcnow(), op.safety_retries)
    _update_shot(studio, job, operation_name=op.name, operation_started_at=op.started_at)
    return op


def _poll_later(studio: Studio, job: JobRef, op: Operation, model_id: str) -> None:
    """Re-schedule the job to poll again, or give up once the model is past its deadline."""
    settings = studio.settings
    waited = (utcnow() - (op.started_at or utcnow())).total_seconds()
    if waited > settings.veo_deadline_seconds:
        _update_shot(studio, job, operation_name=None)
        raise TimeoutError(
            f"{model_id} did not deliver the clip within {settings.veo_deadline_seconds:.0f} s"
        )
    state.reschedule(studio, job, delay_seconds=settings.veo_poll_seconds)


def _withheld(
    studio: Studio, job: JobRef, op: Operation, model_id: str, reasons: tuple[str, ...]
) -> bool:
    why = "; ".join(reasons) or "no reason given"
    attempt = op.safety_retries + 1
    if op.safety_retries >= studio.settings.veo_safety_retries:
        raise ClipWithheld(f"{model_id}'s safety filter withheld the clip {attempt} times ({why})")
    note = f"attempt {attempt} withheld by {model_id}'s safety filter ({why}); not billed, retrying"

    def apply(session: Session) -> None:
        project = repository.lock_project(session, job.project_id)
        if state.is_active(project, job.run_id):
            row = repository.shot(session, job.project_id, job.shot_index)
            row.safety_retries = attempt
            row.notes = [*row.notes, note]

    studio.db.transact(apply)
    state.reschedule(studio, job, delay_seconds=0)
    return False
