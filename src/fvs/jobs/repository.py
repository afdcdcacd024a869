"""Job table queries: enqueue without duplicates, lease the next ready job."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
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


def lease_next(
    session: Session, *, owner: str, lease: timedelta, exclude_steps: tuple[str, ...] = ()
) -> Job | None:
    """Take the oldest ready job, or one whose lease ran out (its worker died)."""
    now = utcnow()
    ready = or_(
        (Job.status == "queued") & (Job.run_after <= now),
        (Job.status == "running") & (Job.lease_until < now),
    )
    stmt = select(Job).where(ready)
    if exclude_steps:
        stmt = stmt.where(Job.step.not_in(exclude_steps))
    stmt = stmt.order_by(Job.run_after, Job.id).limit(1).with_for_update(skip_locked=True)
    job = session.scalars(stmt).first()
    if job is None:
        return None
    job.status = "running"
    job.lease_owner = owner
    job.lease_until = now + lease
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


def waiting_by_step(session: Session) -> dict[str, int]:
    """Queued jobs per step, ready now or later (the queue's depth)."""
    stmt = select(Job.step, func.count()).where(Job.status == "queued").group_by(Job.step)
    return {step: int(count) for step, count in session.execute(stmt)}
