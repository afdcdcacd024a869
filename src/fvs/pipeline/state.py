"""Project state changes made by pipeline steps, each inside the step's one transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from fvs.billing import repository as ledger
from fvs.billing import service as billing
from fvs.jobs import repository as jobs
from fvs.jobs.executor import JobRef
from fvs.models import Job, Project, Run
from fvs.models.base import utcnow
from fvs.models.projects import TERMINAL
from fvs.pipeline import repository
from fvs.pipeline.context import Studio


def hold_id(project_id: str, stage: str) -> str:
    return f"hold:{project_id}:{stage}"


def is_active(project: Project | None, run_id: str) -> bool:
    return (
        project is not None and project.status not in TERMINAL and project.active_run_id == run_id
    )


def begin_step(studio: Studio, job: JobRef, stage: str | None = None) -> dict[str, Any] | None:
    """Mark the render running; None when the job's run is over (cancelled, failed)."""

    def begin(session: Session) -> dict[str, Any] | None:
        project = repository.lock_project(session, job.project_id)
        if not is_active(project, job.run_id):
            _set_job(session, job.id, "cancelled")
            return None
        assert project is not None
        project.status = "running"
        if stage is not None:
            project.current_stage = stage
        return {"settings": project.settings, "plan": project.plan}

    return studio.db.transact(begin)


def commit_step(studio: Studio, job: JobRef, apply: Callable[[Session, Project], None]) -> bool:
    """Record a step's outputs and mark it done, unless its run ended meanwhile."""

    def commit(session: Session) -> bool:
        project = repository.lock_project(session, job.project_id)
        if not is_active(project, job.run_id):
            _set_job(session, job.id, "cancelled")
            return False
        assert project is not None
        apply(session, project)
        _set_job(session, job.id, "done")
        return True

    done = studio.db.transact(commit)
    studio.wake()
    return done


def enqueue(session: Session, project: Project, step: str, shot_index: int = -1) -> None:
    assert project.active_run_id is not None
    jobs.insert_if_absent(
        session,
        {
            "project_id": project.id,
            "run_id": project.active_run_id,
            "step": step,
            "shot_index": shot_index,
        },
    )


def settle_stage(session: Session, project: Project, stage: str, amount: int) -> None:
    """Post what a stage used against its hold; the rest of that hold returns."""
    hold = ledger.get_transfer(session, hold_id(project.id, stage))
    if hold is not None:
        billing.settle(session, hold_id=hold.id, amount=min(amount, hold.amount))
    project.credits_settled = ledger.project_settled(session, project.id)


def release_stage(session: Session, project: Project, stage: str) -> None:
    if ledger.get_transfer(session, hold_id(project.id, stage)) is not None:
        billing.release(session, hold_id=hold_id(project.id, stage))


def add_note(project: Project, note: str) -> None:
    if note not in project.notes:
        project.notes = [*project.notes, note]


def complete(session: Session, project: Project) -> None:
    """Finish the run: completed, leftover holds released."""
    _finish(session, project, "completed")
    project.current_stage = "completed"


def fail(studio: Studio, job: JobRef, message: str) -> None:
    """Fail the render in its current stage with a plain-words cause; holds are released."""

    def apply(session: Session) -> None:
        project = repository.lock_project(session, job.project_id)
        _set_job(session, job.id, "failed", message)
        if not is_active(project, job.run_id):
            return
        assert project is not None
        project.last_error = message
        _finish(session, project, "failed")

    studio.db.transact(apply)


def retry_later(studio: Studio, job: JobRef, message: str, delay_seconds: float) -> None:
    """Queue a failed job again after a backoff; the attempt counts."""
    _requeue(studio, job, delay_seconds, error=message)


def reschedule(studio: Studio, job: JobRef, *, delay_seconds: float) -> None:
    """Queue the job again after a wait that is not a failure (a poll): no attempt used."""
    _requeue(studio, job, delay_seconds, refund_attempt=True)
    studio.wake()


def _requeue(
    studio: Studio,
    job: JobRef,
    delay_seconds: float,
    *,
    error: str | None = None,
    refund_attempt: bool = False,
) -> None:
    def apply(session: Session) -> None:
        row = session.get(Job, job.id)
        if row is not None and row.status == "running":
            row.status = "queued"
            row.lease_owner = None
            row.run_after = utcnow() + timedelta(seconds=delay_seconds)
            if error is not None:
                row.last_error = error
            if refund_attempt:
                row.attempts = max(0, row.attempts - 1)

    studio.db.transact(apply)


def finish_run(session: Session, project: Project, status: str) -> None:
    """End the active run with this status (also used by cancel)."""
    _finish(session, project, status)


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
                _finish(session, project, "failed")
                failed.append(project_id)
        return failed

    return studio.db.transact(sweep)


def _finish(session: Session, project: Project, status: str) -> None:
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
    project.credits_settled = ledger.project_settled(session, project.id)


def _set_job(session: Session, job_id: int, status: str, error: str | None = None) -> None:
    row = session.get(Job, job_id)
    if row is not None:
        row.status = status
        row.lease_owner = None
        if error is not None:
            row.last_error = error
