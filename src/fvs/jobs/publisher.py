"""Publish after commit: the jobs a transaction queued reach the broker once it commits.

The jobs table is the outbox. After a commit that queued jobs, studio.wake claims every
queued job never published (marking it published, so two publishers never send one job
twice) and sends its id. A send that is lost (a crash between commit and send, a broker
restart, a dropped message) is sent again by the relay (housekeeping.py).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta

from fvs.config import Settings
from fvs.db import Database
from fvs.jobs import service as jobs
from fvs.jobs.service import Delivery

log = logging.getLogger(__name__)


class Publisher:
    """Sends committed jobs to the broker: at once, or from a thread of its own."""

    def __init__(
        self,
        *,
        db: Database,
        settings: Settings,
        send: Callable[[Delivery], None],
        close: Callable[[], None] = lambda: None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.send = send
        self.close = close  # lets the broker connections go once stopped
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def publish_committed(self) -> int:
        """Send every queued job not yet published; how many were sent."""
        return self._send_all(self.db.transact(jobs.claim_unpublished))

    def relay(self) -> int:
        """Send again every job whose delivery was lost (see claim_undelivered); how many."""
        lost_after = timedelta(seconds=self.settings.relay_seconds)
        claimed = self.db.transact(lambda s: jobs.claim_undelivered(s, lost_after=lost_after))
        if claimed:
            log.warning("relaying %d job(s) whose delivery was lost", len(claimed))
        return self._send_all(claimed)

    def publish_quietly(self) -> None:
        """Publish committed jobs now; a failure is logged, and the relay resends them later."""
        try:
            self.publish_committed()
        except Exception:
            log.exception("publishing jobs failed; the relay sends them within FVS_RELAY_SECONDS")

    def start(self) -> None:
        """Publish from a thread of its own, so that wake() never blocks its caller."""
        self._thread = threading.Thread(target=self._loop, name="fvs-publisher", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Publish the jobs committed just now, soon, from the publisher's thread."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Publish what is still waiting, then stop the thread."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self.close()

    def _send_all(self, deliveries: list[Delivery]) -> int:
        for delivery in deliveries:
            self.send(delivery)
        return len(deliveries)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            self._wake.clear()
            self.publish_quietly()
