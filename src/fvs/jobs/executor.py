"""The embedded executor: worker threads inside the server process lease jobs from the table.

The table is the truth. A thread leases a job, runs its pipeline step, and the
step's own transaction marks it done. A heartbeat keeps leases of running jobs
fresh; a job whose process died is leased again once its lease runs out.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from datetime import timedelta

from fvs.config import Settings
from fvs.db import Database
from fvs.jobs import repository
from fvs.jobs.service import JobRef, lease_one
from fvs.models.base import utcnow
from fvs.stages import PER_SHOT_STEPS

log = logging.getLogger(__name__)
SWEEP_INTERVAL_SECONDS = 30.0


class ThreadExecutor:
    """Worker threads in this process that lease jobs and run their steps."""

    def __init__(
        self,
        *,
        db: Database,
        settings: Settings,
        run_job: Callable[[JobRef], None],
        sweep: Callable[[], object] = lambda: None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.run_job = run_job
        self.sweep = sweep
        self.owner = f"threads-{uuid.uuid4().hex[:12]}"
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()  # guards _running
        self._leasing = threading.Lock()  # one lease at a time, so the per-shot cap holds
        self._running: dict[int, JobRef] = {}
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for n in range(self.settings.worker_threads):
            self._spawn(self._work, f"fvs-worker-{n}")
        self._spawn(self._heartbeat, "fvs-heartbeat")

    def wake(self) -> None:
        """Tell idle workers that a job was just committed."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout)

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _work(self) -> None:
        while not self._stop.is_set():
            try:
                job = self._lease()
            except Exception:  # a database hiccup must not kill the worker
                log.exception("leasing a job failed")
                job = None
            if job is None:
                self._wake.wait(0.5)
                # Once stopping, leave the event set so no other worker sleeps through it.
                if not self._stop.is_set():
                    self._wake.clear()
                continue
            try:
                self.run_job(job)
            except Exception:
                log.exception("job %s (%s) crashed outside its step", job.id, job.step)
            finally:
                with self._lock:
                    self._running.pop(job.id, None)
            self._wake.set()  # the step may have enqueued more work

    def _lease(self) -> JobRef | None:
        # Count, lease and register under one lock: idle workers that counted at once
        # would all see room under the per-shot cap and overshoot it together.
        with self._leasing:
            with self._lock:
                busy_shots = sum(1 for j in self._running.values() if j.step in PER_SHOT_STEPS)
            # Bound per-shot steps (painting, filming) so they cannot starve everything else.
            exclude = PER_SHOT_STEPS if busy_shots >= self.settings.shot_concurrency else ()
            lease = timedelta(seconds=self.settings.job_lease_seconds)
            ref = lease_one(self.db, owner=self.owner, lease=lease, exclude_steps=exclude)
            if ref is not None:
                with self._lock:
                    self._running[ref.id] = ref
            return ref

    def _extend_leases(self) -> None:
        with self._lock:
            ids = list(self._running)
        until = utcnow() + timedelta(seconds=self.settings.job_lease_seconds)
        self.db.transact(
            lambda s: repository.extend_leases(s, owner=self.owner, job_ids=ids, until=until)
        )

    def _heartbeat(self) -> None:
        interval = max(0.2, self.settings.job_lease_seconds / 3)
        next_sweep = 0.0
        while not self._stop.wait(interval):
            try:
                self._extend_leases()
                next_sweep -= interval
                if next_sweep <= 0:
                    next_sweep = SWEEP_INTERVAL_SECONDS
                    self.sweep()
            except Exception:
                log.exception("heartbeat failed")
