"""What the rest of the studio asks of the pipeline: start, stop, approve, repaint, read shots.

The renders service calls these inside its own transaction; each one only
changes rows and queues jobs, so the work starts once that transaction commits.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, ScalarSelect
from sqlalchemy.orm import Session

from fvs.errors import Conflict, NotFound
from fvs.jobs import service as jobs
from fvs.models import Asset, Project, Shot
from fvs.pipeline import repository, state, storyboard
from fvs.stages import Status, Step


@dataclass(frozen=True)
class ShotCounts:
    """How far a project's shots have got, for progress bars and summaries."""

    planned: int = 0
    keyframed: int = 0
    filmed: int = 0


def start(session: Session, project: Project) -> None:
    """Queue the first step of the project's active run."""
    state.enqueue(session, project, Step.PLAN)


def cancel(session: Session, project: Project) -> None:
    """End the active run as cancelled: its jobs stop, its open holds are released."""
    state.finish_run(session, project, Status.CANCELLED)


def approve(session: Session, project: Project) -> None:
    """Film a storyboard that was halted for review, once no new take is still being painted."""
    if jobs.open_steps(session, project_id=project.id, step=Step.REPAINT):
        raise Conflict(
            "a regenerated keyframe is still being painted; approve once it is ready",
            field="project_id",
        )
    storyboard.start_filming(session, project, len(repository.shots(session, project.id)))


def check_repaint(session: Session, project: Project, shot_number: int) -> int:
    """The next keyframe take of shot n (1-based); 404 without that shot, 409 if one is queued."""
    shots = repository.shots(session, project.id)
    if not 1 <= shot_number <= len(shots):
        raise NotFound(
            f"render {project.id} has no shot {shot_number}; shots are numbered from 1 "
            f"to {len(shots)} (each shot's `number` in the status)",
            field="shot_number",
        )
    index = shot_number - 1
    if jobs.open_steps(session, project_id=project.id, step=Step.REPAINT, shot_index=index):
        raise Conflict(
            f"shot {shot_number}'s keyframe is already being regenerated", field="shot_number"
        )
    return shots[index].keyframe_version + 1


def repaint(session: Session, project: Project, shot_number: int) -> None:
    """Queue a new take of shot n's keyframe (1-based) in the active run."""
    index = shot_number - 1
    jobs.forget_finished(
        session, run_id=str(project.active_run_id), step=Step.REPAINT, shot_index=index
    )
    state.enqueue(session, project, Step.REPAINT, index)


def shots(session: Session, project_id: str) -> list[Shot]:
    """A project's shots in order."""
    return repository.shots(session, project_id)


def assets(session: Session, project_id: str) -> list[Asset]:
    """A project's files, oldest first."""
    return repository.assets(session, project_id)


def shot_count_columns(project_id: ColumnElement[str]) -> tuple[ScalarSelect[int], ...]:
    """SQL columns counting a project's shots, keyframed shots and filmed shots (ShotCounts)."""
    return repository.shot_count_columns(project_id)
