"""ThreadExecutor, observed: one job runs once however many workers lease, per-shot steps capped."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest

from fvs.db import Database
from fvs.jobs import service as jobs
from fvs.jobs.executor import ThreadExecutor
from fvs.jobs.service import JobRef
from fvs.stages import PER_SHOT_STEPS
from tests.jobs.queue import enqueue_steps, job_rows, submit_render, wait_until

# On PostgreSQL, concurrent leases rely on FOR UPDATE SKIP LOCKED; on SQLite, on BEGIN IMMEDIATE.
BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)


@BOTH
def test_threads_leasing_at_once_each_get_different_jobs(studio):
    project_id, _ = submit_render(studio)
    enqueue_steps(studio, project_id, [("film", n) for n in range(40)])
    expected = {row.id for row in job_rows(studio)}
    start = threading.Barrier(8)
    leased: dict[str, list[int]] = {}

    def worker(owner: str) -> None:
        mine = leased.setdefault(owner, [])
        start.wait()
        while (job := jobs.lease_one(studio.db, owner=owner, lease=timedelta(60))) is not None:
            mine.append(job.id)

    threads = [threading.Thread(target=worker, args=(f"w{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    counts = Counter(job_id for ids in leased.values() for job_id in ids)
    assert set(counts) == expected and set(counts.values()) == {1}
    owner_of = {job_id: owner for owner, ids in leased.items() for job_id in ids}
    for row in job_rows(studio):
        assert row.status == "running" and row.lease_owner == owner_of[row.id]
        assert row.attempts == 1


class Recorder:
    """A run_job that records who ran what and how much ran at once, then finishes the job."""

    def __init__(self, db: Database, seconds: float = 0.05) -> None:
        self.db = db
        self.seconds = seconds
        self.lock = threading.Lock()
        self.ran: list[tuple[int, str]] = []
        self.running: list[JobRef] = []
        self.most_at_once = 0
        self.most_per_shot_at_once = 0

    def runner(self, name: str):
        def run_job(job: JobRef) -> None:
            with self.lock:
                self.ran.append((job.id, name))
                self.running.append(job)
                per_shot = sum(1 for j in self.running if j.step in PER_SHOT_STEPS)
                self.most_per_shot_at_once = max(self.most_per_shot_at_once, per_shot)
                self.most_at_once = max(self.most_at_once, len(self.running))
            time.sleep(self.seconds)
            with self.lock:
                self.running.remove(job)
            self.db.transact(lambda s: jobs.finish(s, job_id=job.id, status="done"))

        return run_job


def run_all(studio, settings, recorder: Recorder, executors: int = 1) -> None:
    """Start executors (each as if in its own process) and wait for every job to be done."""
    started = []
    for n in range(executors):
        db = Database(settings.resolved_database_url)
        started.append(
            (ThreadExecutor(db=db, settings=settings, run_job=recorder.runner(f"e{n}")), db)
        )
    for executor, _ in started:
        executor.start()
    try:
        wait_until(
            lambda: all(row.status == "done" for row in job_rows(studio)),
            timeout=60,
            what="every job to be done",
        )
    finally:
        for executor, db in started:
            executor.stop()
            db.dispose()


@BOTH
@pytest.mark.settings(worker_threads=4, shot_concurrency=4)
def test_two_executors_never_run_one_job_twice(studio, settings):
    project_id, _ = submit_render(studio)
    enqueue_steps(studio, project_id, [("film", n) for n in range(30)])
    enqueue_steps(studio, project_id, [("produce", n) for n in range(10)])
    recorder = Recorder(Database(settings.resolved_database_url), seconds=0.02)
    run_all(studio, settings, recorder, executors=2)
    recorder.db.dispose()
    ids = [job_id for job_id, _ in recorder.ran]
    assert sorted(ids) == [row.id for row in job_rows(studio)]  # each job once, none left
    # (Which executor took what is up to the scheduler: on a busy machine one may take all.)
    assert {row.attempts for row in job_rows(studio)} == {1}


@BOTH
@pytest.mark.settings(worker_threads=6, shot_concurrency=2)
def test_per_shot_steps_never_exceed_the_shot_concurrency(studio, settings):
    project_id, _ = submit_render(studio)
    shots = [(step, n) for n in range(4) for step in ("keyframe", "film")]
    enqueue_steps(studio, project_id, shots)
    enqueue_steps(studio, project_id, [("produce", n) for n in range(6)])
    recorder = Recorder(studio.db, seconds=0.1)
    run_all(studio, settings, recorder)
    assert len(recorder.ran) == 1 + len(shots) + 6
    assert recorder.most_per_shot_at_once == settings.shot_concurrency
    # The cap holds back per-shot steps only: other steps ran beside them.
    assert recorder.most_at_once > settings.shot_concurrency
