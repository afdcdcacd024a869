"""The cluster's chores, in one worker at a time: relay lost deliveries, sweep expired holds.

Whichever worker process takes a PostgreSQL advisory lock runs them; the lock lives on a
connection of its own, so it is freed the moment that process or its connection dies, and
another worker takes it on its next try. On SQLite (one machine) every worker's main
process runs them: both chores are idempotent.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy import Connection, text

from fvs.config import Settings
from fvs.db import Database
from fvs.jobs.executor import SWEEP_INTERVAL_SECONDS
from fvs.jobs.publisher import Publisher

log = logging.getLogger(__name__)
# The advisory lock's key: "fvs" and a version, so other users of the database keep clear.
CHORES_LOCK_KEY = 0x66767301


class Leadership:
    """Whether this process runs the chores: it holds the advisory lock (on SQLite, always)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._connection: Connection | None = None

    def held(self) -> bool:
        """True while this process holds the lock; tries to take it when nobody does."""
        if self.db.engine.dialect.name != "postgresql":
            return True
        if self._connection is not None and not self._still_connected(self._connection):
            self.release()
        return self._connection is not None or self._take()

    def release(self) -> None:
        """Let the lock go at once, and close its connection rather than pool it."""
        if self._connection is not None:
            # Closing alone frees the lock only once the server notices; unlock first.
            with contextlib.suppress(Exception):
                unlock = text("SELECT pg_advisory_unlock(:key)")
                self._connection.execute(unlock, {"key": CHORES_LOCK_KEY})
            self._connection.invalidate()
            self._connection.close()
            self._connection = None

    def _take(self) -> bool:
        connection = self.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        lock = text("SELECT pg_try_advisory_lock(:key)")
        if connection.execute(lock, {"key": CHORES_LOCK_KEY}).scalar():
            self._connection = connection
            return True
        connection.close()
        return False

    @staticmethod
    def _still_connected(connection: Connection) -> bool:
        try:
            connection.exec_driver_sql("SELECT 1")
            return True
        except Exception:  # the server restarted or the network dropped: the lock is gone
            return False


class Housekeeper:
    """Every quarter of FVS_RELAY_SECONDS the leader relays; every 30 s it also sweeps."""

    def __init__(
        self, *, db: Database, settings: Settings, publisher: Publisher, sweep: Callable[[], object]
    ) -> None:
        self.settings = settings
        self.publisher = publisher
        self.sweep = sweep
        self.leadership = Leadership(db)
        self._next_sweep = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self) -> None:
        """One round of chores, if this process leads."""
        if not self.leadership.held():
            return
        self.publisher.relay()
        if time.monotonic() >= self._next_sweep:
            self._next_sweep = time.monotonic() + SWEEP_INTERVAL_SECONDS
            self.sweep()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="fvs-chores", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self.leadership.release()

    def _loop(self) -> None:
        interval = max(0.2, self.settings.relay_seconds / 4)
        while True:
            try:
                self.tick()
            except Exception:  # the broker or the database is away; the next round tries again
                log.exception("the relay or the sweep failed")
            if self._stop.wait(interval):
                return
