"""Leases: a dead worker's job comes back once its lease runs out, a live one's never does."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from fvs.jobs import service as jobs
from fvs.jobs.executor import ThreadExecutor
from fvs.jobs.service import JobRef
from tests.jobs.queue import finish, job_rows, submit_render, wait_until

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
LONG = timedelta(seconds=60)


@BOTH
def test_a_dead_owners_job_is_leased_again_once_its_lease_runs_out(studio):
    project_id, _ = submit_render(studio)
    first = jobs.lease_one(studio.db, owner="dead", lease=timedelta(seconds=0.3))
    assert first is not None and first.project_id == project_id and first.step == "plan"
    assert first.attempts == 1
    # While the lease holds, nobody else gets the job.
    assert jobs.lease_one(studio.db, owner="alive", lease=LONG) is None
    time.sleep(0.4)
    again = jobs.lease_one(studio.db, owner="alive", lease=LONG)
    assert again is not None and again.id == first.id and again.attempts == 2
    [row] = job_rows(studio)
    assert row.status == "running" and row.lease_owner == "alive"
    assert jobs.lease_one(studio.db, owner="third", lease=LONG) is None


@BOTH
def test_a_finished_job_is_never_leased_again(studio):
    submit_render(studio)
    job = jobs.lease_one(studio.db, owner="w", lease=timedelta(seconds=0.2))
    assert job is not None
    finish(studio, job.id)
    time.sleep(0.3)  # its lease would have run out by now
    assert jobs.lease_one(studio.db, owner="w", lease=LONG) is None
    [row] = job_rows(studio)
    assert row.status == "done" and row.lease_owner is None and row.attempts == 1


@BOTH
def test_a_requeued_job_waits_for_its_delay_and_a_refunded_attempt_does_not_count(studio):
    submit_render(studio)
    job = jobs.lease_one(studio.db, owner="w", lease=LONG)
    assert job is not None
    studio.db.transact(
        lambda s: jobs.requeue(s, job_id=job.id, delay_seconds=0.3, refund_attempt=True)
    )
    assert jobs.lease_one(studio.db, owner="w", lease=LONG) is None  # not ready yet
    time.sleep(0.4)
    again = jobs.lease_one(studio.db, owner="w", lease=LONG)
    assert again is not None and again.id == job.id and again.attempts == 1


class Holder:
    """A run_job that keeps its job busy until released, as a long step does, then finishes it."""

    def __init__(self, studio) -> None:
        self.studio = studio
        self.started = threading.Event()
        self.release = threading.Event()
        self.ran: list[JobRef] = []

    def __call__(self, job: JobRef) -> None:
        self.ran.append(job)
        self.started.set()
        assert self.release.wait(30)
        finish(self.studio, job.id)


@BOTH
@pytest.mark.settings(job_lease_seconds=0.6, worker_threads=1)
def test_the_heartbeat_keeps_a_running_jobs_lease_so_it_is_not_stolen(studio, settings):
    submit_render(studio)
    holder = Holder(studio)
    executor = ThreadExecutor(db=studio.db, settings=settings, run_job=holder)
    executor.start()
    try:
        assert holder.started.wait(10)
        seen = []
        # Watch until a whole lease past the first lease's end.
        deadline = time.monotonic() + 2 * settings.job_lease_seconds
        while time.monotonic() < deadline:
            assert jobs.lease_one(studio.db, owner="thief", lease=LONG) is None
            [row] = job_rows(studio)
            seen.append((row.status, row.lease_owner, row.lease_until))
            time.sleep(0.05)
        holder.release.set()
        wait_until(lambda: job_rows(studio)[0].status == "done", what="the job to finish")
    finally:
        holder.release.set()
        executor.stop()
    assert len(holder.ran) == 1 and job_rows(studio)[0].attempts == 1
    assert {(status, owner) for status, owner, _ in seen} == {("running", executor.owner)}
    leases = [until for _, _, until in seen]
    assert len(set(leases)) >= 3, "the lease was not renewed while the job ran"
    assert leases == sorted(leases)
