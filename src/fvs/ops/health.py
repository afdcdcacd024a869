"""What a studio process needs around it, checked in plain words: /readyz and `fvs doctor`.

Each check answers None when all is well, or one sentence naming what is wrong and
the setting that points at it.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from fvs import migrate
from fvs.media.ffmpeg import ffmpeg_exe
from fvs.studio import Studio


@dataclass(frozen=True)
class Check:
    name: str  # database, broker, storage, ffmpeg, scratch
    problem: str | None  # None: fine


def database_reachable(studio: Studio) -> str | None:
    """The database answers a query."""
    try:
        with studio.db.read() as session:
            session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return f"FVS_DATABASE_URL: the database cannot be reached ({_first_line(exc)})"
    return None


def database_ready(studio: Studio) -> str | None:
    """The database answers, is at this studio's schema, and takes a write."""
    problem = database_reachable(studio)
    if problem:
        return problem
    try:
        migrate.check(studio.settings.resolved_database_url)
        # A write that changes nothing: proves the connection is not read-only.
        studio.db.transact(
            lambda s: s.execute(text("UPDATE alembic_version SET version_num = version_num"))
        )
    except migrate.NotMigrated as exc:
        return f"FVS_DATABASE_URL: {exc}"
    except SQLAlchemyError as exc:
        return f"FVS_DATABASE_URL: the database refuses writes ({_first_line(exc)})"
    return None


def broker_reachable(studio: Studio) -> str | None:
    """With the Celery executor, the broker accepts a connection; otherwise nothing to check."""
    if studio.settings.executor != "celery":
        return None
    from fvs.jobs.celery_app import BrokerUnavailable, ping_broker  # Celery deployments only

    try:
        ping_broker(studio.settings)
    except BrokerUnavailable as exc:
        return str(exc)
    return None


def secret_shared(studio: Studio) -> str | None:
    """Across several machines, the secret comes from the environment, not a data dir."""
    if studio.settings.executor != "celery" or studio.settings.secret_key:
        return None
    return (
        "FVS_SECRET_KEY: not set, so each machine would generate its own secret and refuse "
        "the others' keys, sessions and media links; set the same value everywhere"
    )


def storage_ready(studio: Studio) -> str | None:
    """The media store is reachable and takes a write."""
    try:
        studio.storage.check()
    except Exception as exc:  # each backend raises its own kind; the message is the point
        return str(exc)
    return None


def ffmpeg_runs(_studio: Studio) -> str | None:
    """The bundled ffmpeg starts."""
    try:
        subprocess.run([ffmpeg_exe(), "-version"], capture_output=True, check=True, timeout=20)
    except (OSError, subprocess.SubprocessError, RuntimeError) as exc:
        return f"ffmpeg does not run ({_first_line(exc)}); reinstall imageio-ffmpeg"
    return None


def scratch_writable(_studio: Studio) -> str | None:
    """The temporary folder that steps work in takes a file."""
    try:
        with tempfile.TemporaryFile() as handle:
            handle.write(b"ok")
    except OSError as exc:
        return f"TMPDIR: the scratch folder is not writable ({exc.strerror or exc})"
    return None


READINESS: dict[str, Callable[[Studio], str | None]] = {
    "database": database_reachable,
    "broker": broker_reachable,
    "storage": storage_ready,
}
DOCTOR: dict[str, Callable[[Studio], str | None]] = {
    "database": database_ready,
    "secret": secret_shared,
    "broker": broker_reachable,
    "storage": storage_ready,
    "ffmpeg": ffmpeg_runs,
    "scratch": scratch_writable,
}


def run_checks(studio: Studio, checks: dict[str, Callable[[Studio], str | None]]) -> list[Check]:
    """Every check, in order; a check that crashes is reported, not raised."""
    results = []
    for name, check in checks.items():
        try:
            problem = check(studio)
        except Exception as exc:
            problem = f"{name}: the check itself failed ({_first_line(exc)})"
        results.append(Check(name, problem))
    return results


def _first_line(exc: BaseException) -> str:
    text_ = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return (text_[0] if text_ else type(exc).__name__)[:300]
