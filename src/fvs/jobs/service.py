"""The job queue as the pipeline and the renders service use it: enqueue, lease, settle a job.

The jobs table is the truth; executors only lease rows from it. A JobRef is the
plain, detached view of a leased row that a step runs with.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from fvs.db import Database
from fvs.jobs import repository
from fvs.models import Job
from fvs.models.base import utcnow


@dataclass(frozen=True)
class JobRef:
    id: int
    project_id: str
    run_id: str
    step: str
    shot_index: int
    attempts: int


def enqueue(session: Session, *, project_id: str, run_id: str, step: str, shot_index: int) -> None:
    """Queue one step of a run; queueing the same (run, step, shot) twice is a no-op."""
    repository.insert_if_absent(
        session,
        {"project_id": project_id, "run_id": run_id, "step": step, "shot_index": shot_index},
    )


def lease_one(
    db: Database, *, owner: str, lease: timedelta, exclude_steps: tuple[str, ...] = ()
) -> JobRef | None:
    """Lease the next ready job in its own transaction, as a plain JobRef."""

    def lease_next(session: Session) -> JobRef | None:
        job = repository.lease_next(session, owner=owner, lease=lease, exclude_steps=exclude_steps)
        return None if job is None else _ref(job)

    return db.transact(lease_next)


def finish(session: Session, *, job_id: int, status: str, error: str | None = None) -> None:
    """Mark a leased job done, failed or cancelled, releasing its lease."""
    repository.set_status(session, job_id=job_id, status=status, error=error)


def requeue(
    session: Session,
    *,
    job_id: int,
    delay_seconds: float,
    error: str | None = None,
    refund_attempt: bool = False,
) -> None:
    """Queue a running job again after a delay; a refunded attempt does not count."""
    repository.requeue(
        session,
        job_id=job_id,
        run_after=utcnow() + timedelta(seconds=delay_seconds),
        error=error,
        refund_attempt=refund_attempt,
    )


def cancel_open(session: Session, *, project_id: str) -> int:
    """Cancel a project's queued and running jobs; the number cancelled."""
    return repository.cancel_open(session, project_id=project_id)


def open_steps(
    session: Session, *, project_id: str, step: str, shot_index: int | None = None
) -> list[Job]:
    """Queued or running jobs of one step of a project (optionally one shot)."""
    return repository.open_steps(session, project_id=project_id, step=step, shot_index=shot_index)


def forget_finished(session: Session, *, run_id: str, step: str, shot_index: int) -> None:
    """Drop a finished job so the same step may run again in this run (a new take)."""
    repository.forget_finished(session, run_id=run_id, step=step, shot_index=shot_index)


def _ref(job: Job) -> JobRef:
    return JobRef(
        id=job.id,
        project_id=job.project_id,
        run_id=job.run_id,
        step=job.step,
        shot_index=job.shot_index,
        attempts=job.attempts,
    )


def waiting_by_step(session: Session) -> dict[str, int]:
    """Queued jobs per step: what the workers have yet to start."""
    return repository.waiting_by_step(session)
