"""Job table queries: enqueue without duplicates, lease the next ready job."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from fvs.models import Job
from fvs.models.base import utcnow


def insert_if_absent(session: Session, values: dict[str, object]) -> None:
    """Insert a job row unless (run, step, shot) exists: concurrent fan-in stays single."""
    now = utcnow()
    row = {
        "status": "queued",
        "attempts": 0,
        "run_after": now,
        "created_at": now,
        "updated_at": now,
        **values,
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(Job)
        .values(row)
        .on_conflict_do_nothing(index_elements=["run_id", "step", "shot_index"])
    )
    session.execute(stmt)


def _ready(now: datetime) -> ColumnElement[bool]:
    """A job that may be leased now: queued and due, or running on a lease that ran out."""
    return or_(
        (Job.status == "queued") & (Job.run_after <= now),
        (Job.status == "running") & (Job.lease_until < now),
    )


def lease_next(
    session: Session, *, owner: str, lease: timedelta, exclude_steps: tuple[str, ...] = ()
) -> Job | None:
    """Take the oldest ready job, or one whose lease ran out (its worker died)."""
    now = utcnow()
    stmt = select(Job).where(_ready(now))
    if exclude_steps:
        stmt = stmt.where(Job.step.not_in(exclude_steps))
    stmt = stmt.order_by(Job.run_after, Job.id).limit(1).with_for_update(skip_locked=True)
    return _take(session, session.scalars(stmt).first(), owner=owner, until=now + lease)


def lease_by_id(session: Session, *, job_id: int, owner: str, lease: timedelta) -> Job | None:
    """Take this one job if it is ready; None when it is done, not due, or held by a live lease."""
    now = utcnow()
    stmt = select(Job).where(Job.id == job_id, _ready(now)).with_for_update(skip_locked=True)
    return _take(session, session.scalars(stmt).first(), owner=owner, until=now + lease)


def _take(session: Session, job: Job | None, *, owner: str, until: datetime) -> Job | None:
    if job is None:
        return None
    job.status = "running"
    job.lease_owner = owner
    job.lease_until = until
    job.attempts += 1
    session.flush()
    return job


def extend_leases(session: Session, *, owner: str, job_ids: list[int], until: datetime) -> None:
    if job_ids:
        session.execute(
            update(Job)
            .where(Job.id.in_(job_ids), Job.lease_owner == owner, Job.status == "running")
            .values(lease_until=until)
        )


def set_status(session: Session, *, job_id: int, status: str, error: str | None = None) -> None:
    """Set a job's status and drop its lease; an error is kept as its last."""
    row = session.get(Job, job_id)
    if row is not None:
        row.status = status
        row.lease_owner = None
        if error is not None:
            row.last_error = error


def requeue(
    session: Session,
    *,
    job_id: int,
    run_after: datetime,
    error: str | None,
    refund_attempt: bool,
) -> None:
    """Put a running job back in the queue, ready at run_after."""
    row = session.get(Job, job_id)
    if row is not None and row.status == "running":
        row.status = "queued"
        row.lease_owner = None
        row.run_after = run_after
        row.published_at = None  # to be published again, due at run_after
        if error is not None:
            row.last_error = error
        if refund_attempt:
            row.attempts = max(0, row.attempts - 1)


def cancel_open(session: Session, *, project_id: str) -> int:
    result = session.execute(
        update(Job)
        .where(
            Job.project_id == project_id,
            Job.status.in_(("queued", "running")),
        )
        .values(status="cancelled", updated_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)


def open_steps(
    session: Session, *, project_id: str, step: str, shot_index: int | None = None
) -> list[Job]:
    """Queued or running jobs of one step of a project (optionally one shot)."""
    stmt = select(Job).where(
        Job.project_id == project_id, Job.step == step, Job.status.in_(("queued", "running"))
    )
    if shot_index is not None:
        stmt = stmt.where(Job.shot_index == shot_index)
    return list(session.scalars(stmt))


def forget_finished(session: Session, *, run_id: str, step: str, shot_index: int) -> None:
    """Drop a finished job row so the same step may run again in this run (a new take)."""
    session.execute(
        delete(Job).where(
            Job.run_id == run_id,
            Job.step == step,
            Job.shot_index == shot_index,
            Job.status.in_(("done", "failed", "cancelled")),
        )
    )


def claim_unpublished(session: Session, *, now: datetime, limit: int) -> list[Job]:
    """Mark queued jobs never published as published now; those jobs, to be sent."""
    unpublished = (Job.status == "queued") & Job.published_at.is_(None)
    return _claim(session, unpublished, now=now, limit=limit)


def claim_undelivered(
    session: Session, *, now: datetime, lost_before: datetime, limit: int
) -> list[Job]:
    """Mark as published now the jobs whose delivery was lost; those jobs, to be sent again.

    Lost: queued and never published; or due and published before `lost_before`, yet still
    queued; or running on a lease that ran out (its worker died) and not sent since then.
    """
    sent_long_ago = Job.published_at.is_(None) | (Job.published_at < lost_before)
    lost = or_(
        (Job.status == "queued") & Job.published_at.is_(None),
        (Job.status == "queued") & sent_long_ago & (Job.run_after < lost_before),
        (Job.status == "running") & (Job.lease_until < now) & sent_long_ago,
    )
    return _claim(session, lost, now=now, limit=limit)


def _claim(session: Session, where: ColumnElement[bool], *, now: datetime, limit: int) -> list[Job]:
    # Claimed rows are locked, and skipped by others: two publishers never send one job twice.
    stmt = select(Job).where(where).order_by(Job.id).limit(limit).with_for_update(skip_locked=True)
    jobs = list(session.scalars(stmt))
    for job in jobs:
        job.published_at = now
    session.flush()
    return jobs


def waiting_by_queue(session: Session) -> dict[tuple[str, str], int]:
    """Queued jobs per (queue, step), ready now or later: each queue's depth."""
    stmt = (
        select(Job.queue, Job.step, func.count())
        .where(Job.status == "queued")
        .group_by(Job.queue, Job.step)
    )
    return {(queue, step): int(count) for queue, step, count in session.execute(stmt)}
