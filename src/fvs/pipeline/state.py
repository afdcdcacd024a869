"""Project state changes made by pipeline steps, each inside the step's one transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from fvs.billing import service as billing
from fvs.jobs import service as jobs
from fvs.jobs.service import JobRef
from fvs.models import Project, Run
from fvs.models.base import utcnow
from fvs.options.resolved import ResolvedRender
from fvs.pipeline import repository
from fvs.providers.base import Plan
from fvs.stages import TERMINAL, Stage, Status, Step
from fvs.studio import Studio


@dataclass(frozen=True)
class StepInput:
    """What a step reads of its render when it begins: the settings, and the plan once made."""

    render: ResolvedRender
    plan_json: dict[str, object] | None

    @property
    def plan(self) -> Plan:
        """The render's plan, typed; only steps after planning ask for it."""
        assert self.plan_json is not None, "this step runs after planning"
        return Plan.model_validate(self.plan_json)


def is_active(project: Project | None, run_id: str) -> bool:
    """True while the project's active run is this one and has not ended."""
    return (
        project is not None and project.status not in TERMINAL and project.active_run_id == run_id
    )


def settings_of(project: Project) -> ResolvedRender:
    """A project's resolved settings, typed."""
    return ResolvedRender.model_validate(project.settings)


def begin_step(studio: Studio, job: JobRef, stage: Stage | None = None) -> StepInput | None:
    """Mark the render running; None when the job's run is over (cancelled, failed)."""

    def begin(session: Session) -> StepInput | None:
        project = repository.lock_project(session, job.project_id)
        if not is_active(project, job.run_id):
            jobs.finish(session, job_id=job.id, status="cancelled")
            return None
        assert project is not None
        project.status = Status.RUNNING
        if stage is not None:
            project.current_stage = stage
        return StepInput(render=settings_of(project), plan_json=project.plan)

    return studio.db.transact(begin)


def commit_step(studio: Studio, job: JobRef, apply: Callable[[Session, Project], None]) -> bool:
    """Record a step's outputs and mark it done, unless its run ended meanwhile."""

    def commit(session: Session) -> bool:
        project = repository.lock_project(session, job.project_id)
        if not is_active(project, job.run_id):
            jobs.finish(session, job_id=job.id, status="cancelled")
            return False
        assert project is not None
        apply(session, project)
        jobs.finish(session, job_id=job.id, status="done")
        return True

    done = studio.db.transact(commit)
    studio.wake()
    return done


def enqueue(session: Session, project: Project, step: str, shot_index: int = -1) -> None:
    """Queue a step of the project's active run (committed with the caller's transaction)."""
    assert project.active_run_id is not None
    jobs.enqueue(
        session,
        project_id=project.id,
        run_id=project.active_run_id,
        step=step,
        shot_index=shot_index,
        queue=queue_for(step, settings_of(project)),
    )


# The model role whose provider does a step's main work; production is ffmpeg's alone.
ROLE_OF_STEP: dict[str, str] = {
    Step.PLAN: "planner",
    Step.REFERENCES: "image",
    Step.KEYFRAME: "image",
    Step.REPAINT: "image",
    Step.FILM: "video",
}


def queue_for(step: str, render: ResolvedRender) -> str:
    """The Celery queue of a step: `provider` when a remote model does its work, else `media`."""
    roles = [ROLE_OF_STEP[step]] if step in ROLE_OF_STEP else []
    if step == Step.PLAN and render.is_music and render.track_upload is None:
        roles.append("music")  # planning composes the track
    if any(render.executions.of(role).provider != "local" for role in roles):
        return jobs.PROVIDER_QUEUE
    return jobs.MEDIA_QUEUE


def settle_stage(session: Session, project: Project, stage: str, amount: int) -> None:
    """Post what a stage used against its hold; the rest of that hold returns."""
    billing.settle_stage(session, project_id=project.id, stage=stage, amount=amount)


def release_stage(session: Session, project: Project, stage: str) -> None:
    """Return a stage's whole hold: the stage will not be charged."""
    billing.release_stage(session, project_id=project.id, stage=stage)


def add_note(project: Project, note: str) -> None:
    """Add a note for the user to the render's status, once."""
    if note not in project.notes:
        project.notes = [*project.notes, note]


def complete(session: Session, project: Project) -> None:
    """Finish the run: completed, leftover holds released."""
    finish_run(session, project, Status.COMPLETED)
    project.current_stage = Stage.COMPLETED


def fail(studio: Studio, job: JobRef, message: str) -> None:
    """Fail the render in its current stage with a plain-words cause; holds are released."""

    def apply(session: Session) -> None:
        project = repository.lock_project(session, job.project_id)
        jobs.finish(session, job_id=job.id, status="failed", error=message)
        if not is_active(project, job.run_id):
            return
        assert project is not None
        project.last_error = message
        finish_run(session, project, Status.FAILED)

    studio.db.transact(apply)


def retry_later(studio: Studio, job: JobRef, message: str, delay_seconds: float) -> None:
    """Queue a failed job again after a backoff; the attempt counts."""
    studio.db.transact(
        lambda session: jobs.requeue(
            session, job_id=job.id, delay_seconds=delay_seconds, error=message
        )
    )


def reschedule(studio: Studio, job: JobRef, *, delay_seconds: float) -> None:
    """Queue the job again after a wait that is not a failure (a poll): no attempt used."""
    studio.db.transact(
        lambda session: jobs.requeue(
            session, job_id=job.id, delay_seconds=delay_seconds, refund_attempt=True
        )
    )
    studio.wake()


def finish_run(session: Session, project: Project, status: Status) -> None:
    """End the active run with this status: open jobs cancelled, open holds released."""
    project.status = status
    project.finished_at = utcnow()
    if project.active_run_id:
        run = session.get(Run, project.active_run_id)
        if run is not None:
            run.status = status
            run.finished_at = project.finished_at
    project.active_run_id = None
    jobs.cancel_open(session, project_id=project.id)
    billing.release_project_holds(session, project_id=project.id)


HOLD_EXPIRED = (
    "the render's credit hold passed its deadline before the render finished "
    "(its worker stopped); the unspent credits were returned"
)


def sweep_expired_holds(studio: Studio) -> list[str]:
    """Expire overdue holds and fail the renders they belonged to; returns those render ids."""

    def sweep(session: Session) -> list[str]:
        expired = billing.expire_overdue_holds(session)
        failed = []
        for project_id in sorted({h.project_id for h in expired if h.project_id}):
            project = repository.lock_project(session, project_id)
            if project is not None and project.status not in TERMINAL:
                project.last_error = HOLD_EXPIRED
                finish_run(session, project, Status.FAILED)
                failed.append(project_id)
        return failed

    return studio.db.transact(sweep)
