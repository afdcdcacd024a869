"""The webhook sender: a thread in the server (embedded) or in `fvs worker` (at scale).

Any number of senders may run against one database: each delivery is leased before
it is attempted, so no two send the same attempt at once.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy.orm import Session

from fvs.config import Settings
from fvs.db import Database
from fvs.webhooks import delivery
from fvs.webhooks.delivery import Describe

log = logging.getLogger(__name__)


class WebhookSender:
    """Fans out new events and sends due deliveries, every poll or when woken."""

    def __init__(self, *, db: Database, settings: Settings, describe: Describe) -> None:
        self.db = db
        self.settings = settings
        self.describe = describe
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        """One pass: fan out, then attempt every due delivery; how many were attempted."""
        settings = self.settings
        with self.db.read() as session:
            if not delivery.has_work(session):
                return 0
        self.db.transact(lambda s: delivery.fan_out(s, describe=self.describe, settings=settings))
        claimed = self.db.transact(lambda s: delivery.claim(s, settings=settings))
        for one in claimed:
            if self._stop.is_set():
                break  # the lease runs out and another sender (or this one, restarted) sends
            self._send(one)
        return len(claimed)

    def _send(self, claimed: delivery.Claimed) -> None:
        outcome = delivery.attempt(claimed, settings=self.settings)

        def record(session: Session) -> None:
            delivery.record(session, claimed=claimed, outcome=outcome, settings=self.settings)

        self.db.transact(record)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="fvs-webhooks", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Look for new events now rather than at the next poll."""
        self._wake.set()

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.run_once()
            except Exception:
                log.exception("sending webhooks failed; retrying at the next poll")
                busy = 0
            if not busy:
                self._wake.wait(self.settings.webhook_poll_seconds)
                self._wake.clear()
