"""Run a studio's jobs one at a time in the test's own thread, for step-by-step tests."""

from __future__ import annotations

from datetime import timedelta

from fvs.jobs.service import JobRef, lease_one
from fvs.pipeline import steps
from fvs.studio import Studio


def run_next(studio: Studio) -> JobRef | None:
    """Lease and run the next ready job, exactly as a worker thread would."""
    ref = lease_one(studio.db, owner="test-driver", lease=timedelta(seconds=60))
    if ref is not None:
        steps.run_job(studio, ref)
    return ref


def run_until(studio: Studio, last_step: str | None = None, limit: int = 100) -> list[str]:
    """Run jobs until none is ready, or until a job of `last_step` has run."""
    ran: list[str] = []
    for _ in range(limit):
        job = run_next(studio)
        if job is None:
            return ran
        ran.append(job.step)
        if job.step == last_step:
            return ran
    raise AssertionError(f"still running after {limit} jobs: {ran}")
