"""One poller per process fans each render's new events out to its subscribers.

A subscriber is an asyncio queue and a cursor: it holds no thread and no database
connection while it waits. The poller, one asyncio task, asks the log for every
subscribed project's new events in one query every FVS_EVENTS_POLL_MS, on a worker
thread with a short-lived read session, so events written by any process on any
machine reach every server's streams.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Iterable

from anyio import to_thread
from prometheus_client import Gauge

from fvs.db import Database
from fvs.events import repository, service
from fvs.events.repository import StoredEvent
from fvs.events.service import Missed

log = logging.getLogger(__name__)
# Projects per query: the poller's OR of (project, seq) pairs stays a modest statement.
PROJECTS_PER_QUERY = 500
EVENTS_PER_QUERY = 1000

SUBSCRIBERS = Gauge("fvs_event_subscribers", "Live event streams open in this process.")
POOL_CHECKED_OUT = Gauge(
    "fvs_db_pool_checked_out", "Database connections this process has checked out now."
)


class Subscription:
    """One stream's place in one project's log."""

    def __init__(self, project_id: str, cursor: int) -> None:
        self.project_id = project_id
        self.cursor = cursor
        self.queue: asyncio.Queue[StoredEvent] = asyncio.Queue()

    def deliver(self, events: Iterable[StoredEvent]) -> None:
        """Queue the events after the cursor, each once, in order."""
        for found in events:
            if found.seq > self.cursor:
                self.queue.put_nowait(found)
                self.cursor = found.seq


class EventFeed:
    """The process's subscriptions and the one task that feeds them."""

    def __init__(self, db: Database, *, interval_seconds: float) -> None:
        self._db = db
        self._interval = interval_seconds
        self._subscribers: dict[str, set[Subscription]] = {}
        self._task: asyncio.Task[None] | None = None
        self._wanted: asyncio.Event | None = None
        POOL_CHECKED_OUT.set_function(lambda: float(db.engine.pool.checkedout()))  # type: ignore[attr-defined]

    @property
    def subscriber_count(self) -> int:
        return sum(len(s) for s in self._subscribers.values())

    def subscribe(self, project_id: str, cursor: int) -> Subscription:
        """Follow a project's log after `cursor`; starts the poller on first use."""
        subscription = Subscription(project_id, cursor)
        self._subscribers.setdefault(project_id, set()).add(subscription)
        SUBSCRIBERS.inc()
        self._ensure_running()
        assert self._wanted is not None
        self._wanted.set()
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        followers = self._subscribers.get(subscription.project_id)
        if followers is None or subscription not in followers:
            return
        followers.discard(subscription)
        SUBSCRIBERS.dec()
        if not followers:
            del self._subscribers[subscription.project_id]

    async def missed(self, *, account_id: str, project_id: str, after: int) -> Missed:
        """The account's render's events after seq `after`, read in a worker thread; the
        status route's 404 when the render is not the account's."""

        def read() -> Missed:
            with self._db.read() as session:
                return service.missed_events(
                    session, account_id=account_id, project_id=project_id, after=after
                )

        return await to_thread.run_sync(read)

    async def follow(
        self, project_id: str, after: int, missed: Missed
    ) -> AsyncGenerator[StoredEvent, None]:
        """What was missed after seq `after`, then each new event; ends after the last."""
        cursor = after
        for found in missed.events:
            yield found
            if found.is_terminal:
                return
            cursor = found.seq
        if missed.ended:
            return  # the render ended before `after`: nothing more will come
        subscription = self.subscribe(project_id, cursor)
        try:
            while True:
                found = await subscription.queue.get()
                yield found
                if found.is_terminal:
                    return
        finally:
            self.unsubscribe(subscription)

    def _ensure_running(self) -> None:
        loop = asyncio.get_running_loop()
        if self._task is not None and not self._task.done() and self._task.get_loop() is loop:
            return
        self._wanted = asyncio.Event()
        self._task = loop.create_task(self._run(), name="fvs-event-feed")

    async def close(self) -> None:
        """Stop the poller (the app's shutdown)."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _run(self) -> None:
        assert self._wanted is not None
        while True:
            if not self._subscribers:
                self._wanted.clear()
                await self._wanted.wait()
            full = await self._poll_once()
            if not full:
                await asyncio.sleep(self._interval)

    async def _poll_once(self) -> bool:
        """Fetch and deliver; True when a query came back full (more is waiting)."""
        cursors = self._cursors()
        try:
            found = await to_thread.run_sync(self._fetch, cursors)
        except Exception:
            log.exception("event feed: reading the log failed; retrying")
            return False
        self._dispatch(found)
        return len(found) >= EVENTS_PER_QUERY

    def _cursors(self) -> dict[str, int]:
        """Per project, the least cursor of its subscribers: one read serves them all."""
        return {
            project_id: min(s.cursor for s in followers)
            for project_id, followers in self._subscribers.items()
            if followers
        }

    def _fetch(self, cursors: dict[str, int]) -> list[StoredEvent]:
        items = list(cursors.items())
        found: list[StoredEvent] = []
        with self._db.read() as session:
            for start in range(0, len(items), PROJECTS_PER_QUERY):
                chunk = dict(items[start : start + PROJECTS_PER_QUERY])
                found += repository.events_after(session, chunk, limit=EVENTS_PER_QUERY)
        return found

    def _dispatch(self, found: list[StoredEvent]) -> None:
        by_project: dict[str, list[StoredEvent]] = {}
        for item in found:
            by_project.setdefault(item.project_id, []).append(item)
        for project_id, events in by_project.items():
            for subscription in list(self._subscribers.get(project_id, ())):
                subscription.deliver(events)
