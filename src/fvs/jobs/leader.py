"""One executor among a server's worker processes: whoever holds a file lock runs it.

`fvs serve --workers N` starts N copies of the app. Job leases in the table would
make N executors safe, but every cap (FVS_WORKER_THREADS, FVS_SHOT_CONCURRENCY, the
per-model Google gate) is counted per process, so N executors would film N times as
many Veo clips at once as configured. Instead each process tries an exclusive
flock on one file in the data folder: the holder starts the executor, the others
only serve HTTP and try again each second. The kernel drops the lock of a process
that dies, so a survivor (or the worker uvicorn starts in its place) takes over;
jobs the dead one held are leased again once their leases run out, as after any crash.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)
RETRY_SECONDS = 1.0


class Stoppable(Protocol):
    def stop(self) -> None: ...


class HostLock:
    """An exclusive, non-blocking lock on a file, held until release or process exit."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None


class LeaderExecutor:
    """Starts the executor once this process holds the lock; stop() stops either."""

    def __init__(self, lock: HostLock, start: Callable[[], Stoppable]) -> None:
        self.lock = lock
        self._start = start
        self._stop = threading.Event()
        self._running: Stoppable | None = None
        self._thread = threading.Thread(target=self._campaign, name="fvs-leader", daemon=True)

    @property
    def leading(self) -> bool:
        return self._running is not None

    def start(self) -> LeaderExecutor:
        self._thread.start()
        return self

    def _campaign(self) -> None:
        while not self._stop.is_set():
            if self.lock.try_acquire():
                log.info("this process runs the executor (pid %s)", os.getpid())
                self._running = self._start()
                return
            self._stop.wait(RETRY_SECONDS)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        if self._running is not None:
            self._running.stop()
        self.lock.release()
