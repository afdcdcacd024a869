"""The worker side of FVS_EXECUTOR=celery: each delivered job id runs once, leases stay fresh.

Each process that runs tasks (a prefork child, or the main process with the threads
pool) builds its own studio on its first task, with a heartbeat for the leases it holds;
the jobs its steps queue are published as soon as the step commits. The worker's main
process also runs the cluster's chores (housekeeping.py) when it holds their lock.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from celery import bootsteps

from fvs.config import Settings
from fvs.jobs import service as jobs
from fvs.jobs.celery_app import StudioCelery
from fvs.jobs.heartbeat import LeaseKeeper
from fvs.jobs.housekeeping import Housekeeper
from fvs.jobs.publisher import Publisher
from fvs.jobs.service import JobRef
from fvs.studio import Studio

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Process:
    """What one worker process runs jobs with."""

    pid: int
    studio: Studio
    keeper: LeaseKeeper


class JobRunner:
    """Runs the jobs delivered to this process: lease by id, run the step, let the lease go."""

    def __init__(
        self,
        *,
        settings: Settings,
        app: StudioCelery,
        make_studio: Callable[[], Studio],
        run_step: Callable[[Studio, JobRef], None],
        sweep: Callable[[Studio], object],
    ) -> None:
        self.settings = settings
        self.app = app
        self.make_studio = make_studio
        self.run_step = run_step
        self.sweep = sweep
        self._process: _Process | None = None
        self._lock = threading.Lock()

    def run(self, job_id: int) -> None:
        """Lease job `job_id` and run its step; a done, not yet due or held job is skipped."""
        here = self._here()
        lease = timedelta(seconds=self.settings.job_lease_seconds)
        job = jobs.lease_by_id(here.studio.db, job_id=job_id, owner=here.keeper.owner, lease=lease)
        if job is None:
            log.info("job %s is done, not due yet or leased elsewhere: delivery skipped", job_id)
            return
        log.info(
            "job %s: %s (shot index %s), attempt %s", job.id, job.step, job.shot_index, job.attempts
        )
        with here.keeper.holding(job.id):
            self.run_step(here.studio, job)

    def chores(self) -> Housekeeper:
        """The main process's chores: relay lost deliveries, sweep expired holds."""
        studio = self.make_studio()
        return Housekeeper(
            db=studio.db,
            settings=self.settings,
            publisher=Publisher(db=studio.db, settings=self.settings, send=self.app.send_job),
            sweep=lambda: self.sweep(studio),
        )

    def _here(self) -> _Process:
        # Built on the first task in each process: a prefork child must not use the
        # database connections or threads of the process it was forked from.
        with self._lock:
            if self._process is None or self._process.pid != os.getpid():
                self._process = self._start_process()
            return self._process

    def _start_process(self) -> _Process:
        studio = self.make_studio()
        publisher = Publisher(db=studio.db, settings=self.settings, send=self.app.send_job)
        # A step's successors are sent before its message is acknowledged.
        studio.wake = publisher.publish_quietly
        owner = f"celery-{socket.gethostname()[:30]}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        keeper = LeaseKeeper(db=studio.db, settings=self.settings, owner=owner)
        keeper.start()
        return _Process(pid=os.getpid(), studio=studio, keeper=keeper)


class ChoresStep(bootsteps.StartStopStep):
    """A worker bootstep: the chores run in the worker's main process once its pool is up."""

    requires = ("celery.worker.components:Pool",)

    def create(self, worker: Any) -> Housekeeper | None:
        runner = worker.app.runner
        return runner.chores() if isinstance(runner, JobRunner) else None
