"""Shared fixtures: a real studio (SQLite or PostgreSQL), accounts and keys from services."""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from fvs import migrate
from fvs.accounts import service as accounts
from fvs.app import build_studio, create_app
from fvs.billing import service as billing
from fvs.config import Settings
from fvs.keys import service as keys
from fvs.studio import Studio
from tests.ledger_invariants import assert_ledger_consistent

PG_ADMIN_URL = os.environ.get(
    "FVS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
SMALL_RENDER = {
    "name": "Small test render",
    "screenplay": "Shot 1: A red fox walks into a snowy forest. "
    "Shot 2: It looks up at the falling snow.",
    "shot_count": 2,
    "scene_target_duration_seconds": 4,
    "video_model": "local-animatic",
    "video_resolution": "480p",
}


@dataclass
class Agent:
    account_id: str
    email: str
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"X-FVS-Agent-Key": self.key}


def _pg_available() -> bool:
    try:
        engine = create_engine(PG_ADMIN_URL)
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def pg_template() -> str:
    """A migrated PostgreSQL template database; each test clones it (fast)."""
    if not _pg_available():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not reachable, and CI must run the PostgreSQL tests")
        pytest.skip("PostgreSQL is not reachable")
    name = f"fvs_tpl_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    migrate.upgrade(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}")
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database; each test copies it (the migrations run once a session)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "fvs.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(params=["sqlite"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """SQLite by default; tests that parametrize with "postgres" get a fresh cloned database."""
    if request.param == "sqlite":
        database = tmp_path / "fvs.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), database)
        yield f"sqlite:///{database}"
        return
    template = request.getfixturevalue("pg_template")
    name = f"fvs_t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that runs on PostgreSQL `postgres`, so `-m "not postgres"` skips them."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("database_url") == "postgres":
            item.add_marker(pytest.mark.postgres)


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Settings a test asks for with `@pytest.mark.settings(...)`; a module may extend this."""
    values: dict[str, Any] = {}
    # Closest last: a test's own marker beats its class's or module's.
    for marker in reversed(list(request.node.iter_markers("settings"))):
        values.update(marker.kwargs)
    return values


@pytest.fixture
def settings(tmp_path: Path, database_url: str, settings_overrides: dict[str, Any]) -> Settings:
    """The studio's settings, fixed before anything starts: tests never change them live."""
    # Settings ignores unknown names; a misspelt override must not pass silently.
    unknown = sorted(set(settings_overrides) - set(Settings.model_fields))
    if unknown:
        pytest.fail(f"no such settings: {', '.join(unknown)}")
    return Settings(
        **{
            "data_dir": tmp_path / "data",
            "database_url": database_url,
            "secret_key": "test-secret-not-for-production",
            "job_lease_seconds": 5,
            "status_min_interval_ms": 0,
            **settings_overrides,
        }
    )


@pytest.fixture
def studio(settings: Settings) -> Iterator[Studio]:
    """A studio without HTTP or workers, for service-level tests."""
    built = build_studio(settings)
    yield built
    assert_ledger_consistent(built)
    built.db.dispose()


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """The whole app with its worker threads, served in-process."""
    with TestClient(create_app(settings)) as test_client:
        yield test_client
        assert_ledger_consistent(test_client.app.state.studio)


@pytest.fixture
def make_agent(settings: Settings) -> Callable[..., Agent]:
    """Create an account with credits and a managed key, through the services."""

    def make(credits: int = 1000, defaults: dict[str, Any] | None = None) -> Agent:
        email = f"agent-{uuid.uuid4().hex[:8]}@example.com"
        studio = build_studio(settings)

        def create(session: Any) -> Agent:
            account = accounts.create_account(session, email=email, defaults=defaults)
            if credits:
                billing.grant(
                    session,
                    account_id=account.id,
                    amount=credits,
                    transfer_id=f"grant:{uuid.uuid4().hex}",
                )
            issued = keys.issue_key(
                session, account_id=account.id, name="test", secret=settings.resolved_secret
            )
            return Agent(account_id=account.id, email=email, key=issued.secret)

        try:
            return studio.db.transact(create)
        finally:
            studio.db.dispose()

    return make


def wait_for(
    client: TestClient,
    agent: Agent,
    project_id: str,
    statuses: tuple[str, ...],
    timeout: float = 60,
    where: Callable[[dict[str, Any]], bool] | None = None,
) -> dict[str, Any]:
    """Poll the status route until the render reaches one of `statuses` (or `where` holds)."""
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(f"/api/agent/renders/{project_id}", headers=agent.headers).json()
        if body["status"] in statuses or (where is not None and where(body)):
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"render stuck: {body}")
        time.sleep(0.05)
