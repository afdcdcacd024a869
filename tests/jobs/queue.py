"""Jobs on a real project, made through the services, and the job rows as the table holds them."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from sqlalchemy import select

from fvs.jobs import service as jobs
from fvs.models import Job
from fvs.studio import Studio
from tests.factories import account_with_renders


def submit_render(studio: Studio) -> tuple[str, str]:
    """Submit a small render; its project and run, with the plan job queued."""
    _account_id, (project,) = account_with_renders(studio)
    return project.id, str(project.active_run_id)


def enqueue_steps(studio: Studio, project_id: str, steps: list[tuple[str, int]]) -> None:
    """Queue (step, shot) jobs on the project under a run of their own."""
    run_id = f"run_{uuid.uuid4().hex[:16]}"

    def add(session):
        for step, shot in steps:
            jobs.enqueue(
                session,
                project_id=project_id,
                run_id=run_id,
                step=step,
                shot_index=shot,
                queue=jobs.MEDIA_QUEUE,
            )

    studio.db.transact(add)


def job_rows(studio: Studio) -> list[Job]:
    with studio.db.read() as session:
        return list(session.scalars(select(Job).order_by(Job.id)))


def finish(studio: Studio, job_id: int) -> None:
    studio.db.transact(lambda s: jobs.finish(s, job_id=job_id, status="done"))


def wait_until(condition: Callable[[], bool], timeout: float = 30, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what or condition}"
        time.sleep(0.02)
