"""A heartbeat per worker process: the leases of the jobs it runs stay fresh while they run."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from fvs.config import Settings
from fvs.db import Database
from fvs.jobs import repository
from fvs.models.base import utcnow

log = logging.getLogger(__name__)


class LeaseKeeper:
    """Renews this owner's leases every third of FVS_JOB_LEASE_SECONDS, from one thread."""

    def __init__(self, *, db: Database, settings: Settings, owner: str) -> None:
        self.db = db
        self.settings = settings
        self.owner = owner
        self._held: set[int] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @contextmanager
    def holding(self, job_id: int) -> Iterator[None]:
        """Keep this job's lease fresh while the block runs."""
        with self._lock:
            self._held.add(job_id)
        try:
            yield
        finally:
            with self._lock:
                self._held.discard(job_id)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._beat, name="fvs-heartbeat", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def renew(self) -> None:
        """Push the leases of the jobs held now one lease further."""
        with self._lock:
            ids = list(self._held)
        until = utcnow() + timedelta(seconds=self.settings.job_lease_seconds)
        self.db.transact(
            lambda s: repository.extend_leases(s, owner=self.owner, job_ids=ids, until=until)
        )

    def _beat(self) -> None:
        interval = max(0.2, self.settings.job_lease_seconds / 3)
        while not self._stop.wait(interval):
            try:
                self.renew()
            except Exception:  # a database hiccup; the next beat tries again
                log.exception("renewing leases failed")
