"""Gentle pacing of status polls.

The seed's own example polls in a loop with no sleep. Refusing it (429) would
break that example, so a client that polls one render faster than the minimum
interval simply waits a little for its answer. Waiting is an asyncio sleep: it
holds no thread and no database connection.

Polls are paced per account, not per key: an account may mint many keys, and
a key per poll must not buy a faster loop.
"""

from __future__ import annotations

import asyncio
import time

MAX_TRACKED = 10_000


class StatusPacer:
    def __init__(self) -> None:
        self._last: dict[tuple[str, str], float] = {}
        self.paced = 0  # polls made to wait: what tests and metrics count, not the time

    async def pace(self, account_id: str, project_id: str, min_interval_ms: int) -> None:
        """Wait until this account's last poll of this render is min_interval_ms old."""
        if min_interval_ms <= 0:
            return
        now = time.monotonic()
        slot = (account_id, project_id)
        interval = min_interval_ms / 1000
        due = self._last.get(slot, 0.0) + interval
        self._last[slot] = max(now, due)
        if len(self._last) > MAX_TRACKED:
            self._forget_older_than(now - 60)
        if due > now:
            self.paced += 1
            await asyncio.sleep(due - now)

    def _forget_older_than(self, cutoff: float) -> None:
        self._last = {k: t for k, t in self._last.items() if t >= cutoff}
