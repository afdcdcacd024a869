"""Recently verified agent keys, remembered for a moment so hot polling skips the database.

A poll loop presents the same key many times a second. Verifying it costs an HMAC
(cheap) and a database read in a worker thread (not cheap next to a 304), so each
process remembers a verified key's principal for FVS_KEY_CACHE_SECONDS (default 2 s),
bounded to MAX_ENTRIES keys, least recently used out first.

Revocation: revoking a key forgets it in the process that revoked it at once, so its
very next request there is refused. Other processes (`fvs serve --workers N`, other
replicas) may accept it for at most FVS_KEY_CACHE_SECONDS more. A key's own expiry is
never stretched: an entry lives no longer than the key does. 0 turns the cache off.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from datetime import datetime

from fvs.models.base import utcnow

MAX_ENTRIES = 4096


class VerifiedKeys:
    """secret hash -> (principal, monotonic deadline); safe from threads and the event loop."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[object, float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, secret_hash: str) -> object | None:
        now = time.monotonic()
        with self._lock:
            found = self._entries.get(secret_hash)
            if found is None:
                return None
            if found[1] <= now:
                del self._entries[secret_hash]
                return None
            self._entries.move_to_end(secret_hash)
            return found[0]

    def put(
        self, secret_hash: str, principal: object, *, seconds: float, expires_at: datetime | None
    ) -> None:
        if seconds <= 0:
            return
        if expires_at is not None:
            seconds = min(seconds, (expires_at - utcnow()).total_seconds())
        with self._lock:
            self._entries[secret_hash] = (principal, time.monotonic() + seconds)
            self._entries.move_to_end(secret_hash)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def forget(self, secret_hash: str) -> None:
        with self._lock:
            self._entries.pop(secret_hash, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


verified = VerifiedKeys()
