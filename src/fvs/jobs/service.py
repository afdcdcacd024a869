"""The job queue as the pipeline and the renders service use it: enqueue, lease, settle a job.

The jobs table is the truth; executors only lease rows from it (a Celery worker
leases the one job id it was sent). A JobRef is the plain, detached view of a
leased row that a step runs with; a Delivery is what a broker is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from fvs.db import Database
from fvs.jobs import repository
from fvs.models import Job
from fvs.models.base import utcnow

# Celery queues (FVS_EXECUTOR=celery): local CPU-bound work, and waits on a remote provider.
MEDIA_QUEUE = "media"
PROVIDER_QUEUE = "provider"
QUEUES = (MEDIA_QUEUE, PROVIDER_QUEUE)


@dataclass(frozen=True)
class JobRef:
    id: int
    project_id: str
    run_id: str
    step: str
    shot_index: int
    attempts: int


@dataclass(frozen=True)
class Delivery:
    """What a broker is sent for one job: its id, the queue, and when it is due."""

    job_id: int
    queue: str
    run_after: datetime


def enqueue(
    session: Session, *, project_id: str, run_id: str, step: str, shot_index: int, queue: str
) -> None:
    """Queue one step of a run; queueing the same (run, step, shot) twice is a no-op."""
    if queue not in QUEUES:
        raise ValueError(f"no such queue: {queue!r}; queues are {', '.join(QUEUES)}")
    repository.insert_if_absent(
        session,
        {
            "project_id": project_id,
            "run_id": run_id,
            "step": step,
            "shot_index": shot_index,
            "queue": queue,
        },
    )


def lease_one(
    db: Database, *, owner: str, lease: timedelta, exclude_steps: tuple[str, ...] = ()
) -> JobRef | None:
    """Lease the next ready job in its own transaction, as a plain JobRef."""

    def lease_next(session: Session) -> JobRef | None:
        job = repository.lease_next(session, owner=owner, lease=lease, exclude_steps=exclude_steps)
        return None if job is None else _ref(job)

    return db.transact(lease_next)


def lease_by_id(db: Database, *, job_id: int, owner: str, lease: timedelta) -> JobRef | None:
    """Lease this job if it is ready, as a plain JobRef; None if done, not due or held."""

    def lease_it(session: Session) -> JobRef | None:
        job = repository.lease_by_id(session, job_id=job_id, owner=owner, lease=lease)
        return None if job is None else _ref(job)

    return db.transact(lease_it)


def claim_unpublished(session: Session, *, limit: int = 500) -> list[Delivery]:
    """Queued jobs never published, marked published now: the caller sends them next."""
    jobs = repository.claim_unpublished(session, now=utcnow(), limit=limit)
    return [_delivery(job) for job in jobs]


def claim_undelivered(
    session: Session, *, lost_after: timedelta, limit: int = 500
) -> list[Delivery]:
    """Jobs whose delivery was lost, marked published now: the caller sends them again."""
    now = utcnow()
    jobs = repository.claim_undelivered(session, now=now, lost_before=now - lost_after, limit=limit)
    return [_delivery(job) for job in jobs]


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


def _delivery(job: Job) -> Delivery:
    return Delivery(job_id=job.id, queue=job.queue, run_after=job.run_after)


def _ref(job: Job) -> JobRef:
    return JobRef(
        id=job.id,
        project_id=job.project_id,
        run_id=job.run_id,
        step=job.step,
        shot_index=job.shot_index,
        attempts=job.attempts,
    )


def waiting_by_queue(session: Session) -> dict[tuple[str, str], int]:
    """Queued jobs per (queue, step): what the workers have yet to start."""
    return repository.waiting_by_queue(session)
