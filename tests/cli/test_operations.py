"""`fvs migrate` (once, under a lock), a refusal to serve an unmigrated database, `fvs doctor`."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

import fvs
from fvs import migrate
from tests.cli.output import one_line
from tests.conftest import PG_ADMIN_URL, _pg_available
from tests.live_server import free_port


def _env(**values: str) -> dict[str, str]:
    src = str(Path(fvs.__file__).resolve().parents[1])
    return {**os.environ, "PYTHONPATH": src, **values}


@pytest.fixture
def empty_pg_url():
    if not _pg_available():
        pytest.skip("PostgreSQL is not reachable")
    name = f"fvs_m_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.mark.postgres
def test_replicas_migrating_at_once_migrate_once(empty_pg_url, tmp_path):
    env = _env(FVS_DATABASE_URL=empty_pg_url, FVS_DATA_DIR=str(tmp_path))
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "fvs", "migrate"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], outputs
    said = sorted(" ".join(out.split()) for out, _ in outputs)
    head = migrate.head()
    assert said.count(f"migrated the database from revision none to {head}") == 1, said
    assert said.count(f"the database is already at revision {head}") == 2, said
    assert migrate.current(empty_pg_url) == head


def test_serving_an_unmigrated_database_says_to_migrate(fvs_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("FVS_DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
    monkeypatch.setenv("FVS_AUTO_MIGRATE", "false")
    result = fvs_cli("serve", "--port", "1")
    assert result.exit_code == 1, result.output
    assert one_line(result.stderr) == (
        f"error: the database has no schema yet; this studio needs revision {migrate.head()}: "
        "run `fvs migrate` (or set FVS_AUTO_MIGRATE=true)"
    )
    assert fvs_cli("migrate").exit_code == 0
    assert migrate.current(f"sqlite:///{tmp_path / 'new.db'}") == migrate.head()


def test_doctor_checks_everything_and_passes(fvs_cli):
    result = fvs_cli("doctor")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "✓ database",
        "✓ secret",
        "✓ broker",
        "✓ storage",
        "✓ ffmpeg",
        "✓ scratch",
    ]


def test_doctor_names_what_is_down_and_fails(fvs_cli, monkeypatch):
    monkeypatch.setenv("FVS_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:1/gone")
    result = fvs_cli("doctor")
    assert result.exit_code == 1
    (database,) = [line for line in result.stdout.splitlines() if "database" in line]
    assert database.startswith("✗ database: FVS_DATABASE_URL: the database cannot be reached")


def test_doctor_on_a_cluster_wants_a_shared_secret_and_a_broker(fvs_cli, monkeypatch):
    monkeypatch.delenv("FVS_SECRET_KEY")
    monkeypatch.setenv("FVS_EXECUTOR", "celery")
    monkeypatch.setenv("FVS_BROKER_URL", f"redis://127.0.0.1:{free_port()}/0")
    result = fvs_cli("doctor")
    assert result.exit_code == 1
    problems = {
        line.split(":")[0]: line for line in result.stdout.splitlines() if line.startswith("✗")
    }
    assert set(problems) == {"✗ secret", "✗ broker"}, result.stdout
    assert "FVS_SECRET_KEY: not set" in problems["✗ secret"]
    assert "FVS_BROKER_URL" in problems["✗ broker"]
