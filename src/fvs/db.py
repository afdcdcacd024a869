"""Engine and sessions: SQLite (WAL) on the embedded default, PostgreSQL at scale.

On SQLite every write transaction starts with BEGIN IMMEDIATE, so writers are
serialised up front instead of failing halfway with "database is locked";
read-only sessions use a plain deferred BEGIN and never wait for a writer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from fvs.errors import ServiceBusy

T = TypeVar("T")


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"timeout": 30, "check_same_thread": False},
            pool_size=20,
            max_overflow=20,
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's begin event decide how each transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Any) -> None:
        readonly = conn.get_execution_options().get("fvs_readonly", False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


class Database:
    """Owns the engine and hands out one session per request or job step."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._readonly_engine = self.engine.execution_options(fvs_readonly=True)
        self._readonly = sessionmaker(self._readonly_engine, expire_on_commit=False)
        self._loop_connection: Connection | None = None

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A write transaction: committed on success, rolled back on error."""
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only transaction that never waits for writers."""
        with self._readonly() as session, session.begin():
            yield session

    @contextmanager
    def read_connection(self) -> Iterator[Connection]:
        """A read-only Core transaction, lighter than a Session: for reads polled many times."""
        with self._readonly_engine.connect() as connection, connection.begin():
            yield connection

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def loop_read(self) -> Iterator[Connection]:
        """SQLite only: a read-only transaction on a connection kept for the event loop.

        For one-row reads polled many times a second, run on the event loop itself: a WAL
        reader never waits for a writer, and the read costs less than a hop to a worker
        thread. Its own connection, so it never waits for the pool. Never hold it across
        an await.
        """
        if self._loop_connection is None or self._loop_connection.closed:
            self._loop_connection = self._readonly_engine.connect()
        with self._loop_connection.begin():
            yield self._loop_connection

    def transact(self, fn: Callable[[Session], T], *, attempts: int = 5) -> T:
        """Run fn in a write transaction, retrying serialisation failures, then 503."""
        for attempt in range(attempts):
            try:
                with self.session() as session:
                    return fn(session)
            except OperationalError as exc:
                if not is_retryable(exc) or attempt == attempts - 1:
                    if is_retryable(exc):
                        raise ServiceBusy("the database is busy; retry shortly") from exc
                    raise
                time.sleep(0.05 * (2**attempt))
        raise AssertionError("unreachable")

    def dispose(self) -> None:
        if self._loop_connection is not None:
            self._loop_connection.close()
        self.engine.dispose()


def is_retryable(exc: OperationalError) -> bool:
    text = str(exc.orig).lower()
    code = getattr(exc.orig, "sqlstate", None)
    return code in {"40001", "40P01"} or "database is locked" in text or "deadlock" in text
