"""Bring a database to the newest schema with the packaged Alembic migrations, once.

Replicas starting together take a lock first (a PostgreSQL advisory lock; a lock
file beside a SQLite database), so only one applies migrations and the rest find
them applied.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url

MIGRATIONS = Path(__file__).parent / "migrations"
# pg_advisory_lock key: "fvs-migrate" as a bigint, the same in every process.
LOCK_KEY = int.from_bytes(b"fvsmigr", "big")


class NotMigrated(RuntimeError):
    """The database is behind this studio's schema; `fvs migrate` brings it up."""


def alembic_config(url: str, connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def head() -> str:
    """The newest revision this studio ships."""
    revision = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert revision is not None
    return revision


def current(url: str) -> str | None:
    """The revision the database is at; None when it has never been migrated."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def upgrade(url: str) -> tuple[str | None, str | None]:
    """Apply every migration not yet applied, under the lock; the revisions before and after."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection, _locked(connection, url):
            before = MigrationContext.configure(connection).get_current_revision()
            command.upgrade(alembic_config(url, connection), "head")
            connection.commit()
            return before, MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def check(url: str) -> None:
    """NotMigrated, saying what to run, unless the database is at this studio's head."""
    at, needed = current(url), head()
    if at != needed:
        where = "has no schema yet" if at is None else f"is at revision {at}"
        raise NotMigrated(
            f"the database {where}; this studio needs revision {needed}: run `fvs migrate` "
            "(or set FVS_AUTO_MIGRATE=true)"
        )


@contextmanager
def _locked(connection: Connection, url: str) -> Iterator[None]:
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": LOCK_KEY})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
            connection.commit()
    elif parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        with open(f"{parsed.database}.migrate-lock", "a") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            yield
    else:
        yield
