"""Delivered job ids: leasing one job by id, and which jobs the outbox and the relay send."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import update

from fvs.jobs import service as jobs
from fvs.models import Job
from fvs.models.base import utcnow
from tests.jobs.queue import finish, job_rows, submit_render

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
LONG = timedelta(seconds=60)


def only_job_id(studio) -> int:
    [row] = job_rows(studio)
    return row.id


def set_columns(studio, job_id: int, **values) -> None:
    studio.db.transact(lambda s: s.execute(update(Job).where(Job.id == job_id).values(**values)))


@BOTH
def test_a_job_is_leased_by_id_once_and_again_only_when_its_lease_runs_out(studio):
    submit_render(studio)
    job_id = only_job_id(studio)
    first = jobs.lease_by_id(studio.db, job_id=job_id, owner="a", lease=timedelta(seconds=0.3))
    assert first is not None and first.id == job_id and first.attempts == 1
    # A second delivery while the first runs: nothing to do.
    assert jobs.lease_by_id(studio.db, job_id=job_id, owner="b", lease=LONG) is None
    time.sleep(0.4)
    again = jobs.lease_by_id(studio.db, job_id=job_id, owner="b", lease=LONG)
    assert again is not None and again.attempts == 2
    finish(studio, job_id)
    assert jobs.lease_by_id(studio.db, job_id=job_id, owner="c", lease=LONG) is None
    [row] = job_rows(studio)
    assert row.status == "done" and row.attempts == 2


@BOTH
def test_a_job_not_yet_due_or_unknown_is_not_leased_by_id(studio):
    submit_render(studio)
    job_id = only_job_id(studio)
    set_columns(studio, job_id, run_after=utcnow() + timedelta(seconds=30))
    assert jobs.lease_by_id(studio.db, job_id=job_id, owner="a", lease=LONG) is None
    assert jobs.lease_by_id(studio.db, job_id=job_id + 1000, owner="a", lease=LONG) is None
    [row] = job_rows(studio)
    assert row.status == "queued" and row.attempts == 0


@BOTH
def test_committed_jobs_are_claimed_for_publishing_once_and_again_after_a_requeue(studio):
    submit_render(studio)
    submit_render(studio)
    claimed = studio.db.transact(jobs.claim_unpublished)
    assert [d.job_id for d in claimed] == [row.id for row in job_rows(studio)]
    assert {d.queue for d in claimed} == {"media"}  # local-animatic renders
    assert studio.db.transact(jobs.claim_unpublished) == []
    assert all(row.published_at is not None for row in job_rows(studio))
    # A job put back with a delay is published again, due at its run_after.
    first = claimed[0].job_id
    job = jobs.lease_by_id(studio.db, job_id=first, owner="a", lease=LONG)
    assert job is not None
    studio.db.transact(lambda s: jobs.requeue(s, job_id=first, delay_seconds=10))
    [again] = studio.db.transact(jobs.claim_unpublished)
    assert again.job_id == first and again.run_after > utcnow() + timedelta(seconds=9)


@BOTH
def test_a_rolled_back_job_is_never_claimed(studio):
    project_id, run_id = submit_render(studio)

    def queue_then_fail(session):
        jobs.enqueue(
            session,
            project_id=project_id,
            run_id=run_id,
            step="references",
            shot_index=-1,
            queue="media",
        )
        raise RuntimeError("the step failed after queueing its successor")

    with pytest.raises(RuntimeError):
        studio.db.transact(queue_then_fail)
    [plan] = studio.db.transact(jobs.claim_unpublished)
    assert [row.step for row in job_rows(studio)] == ["plan"] and plan.job_id == job_rows(studio)[
        0
    ].id


def claim_lost(studio) -> list[int]:
    lost = studio.db.transact(lambda s: jobs.claim_undelivered(s, lost_after=timedelta(seconds=5)))
    return [d.job_id for d in lost]


@BOTH
def test_the_relay_claims_only_deliveries_that_were_lost(studio):
    now = utcnow()
    ago = now - timedelta(seconds=10)
    for _ in range(6):
        submit_render(studio)
    rows = [row.id for row in job_rows(studio)]
    never_sent, sent_now, sent_long_ago, waiting, alive, dead = rows
    set_columns(studio, sent_now, published_at=now)
    set_columns(studio, sent_long_ago, published_at=ago, run_after=ago)
    # Published long ago, but due only later: it is waiting in the broker, not lost.
    set_columns(studio, waiting, published_at=ago, run_after=now + timedelta(seconds=30))
    running = {"status": "running", "published_at": ago}
    set_columns(studio, alive, **running, lease_until=now + timedelta(seconds=30))
    set_columns(studio, dead, **running, lease_until=now - timedelta(seconds=1))
    assert claim_lost(studio) == [never_sent, sent_long_ago, dead]
    assert claim_lost(studio) == []  # sent again just now
