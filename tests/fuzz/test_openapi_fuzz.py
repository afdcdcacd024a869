"""Schemathesis over the whole /openapi.json, in-process: no operation answers a 5xx.

Every operation is fuzzed as a caller who holds what it needs: a valid agent key
(X-FVS-Agent-Key) for /api/agent/*, and for /api/account/* a live browser session
cookie with its X-CSRF-Token. A fresh session is started for every example, so
DELETE /api/account/session (sign-out, which is fuzzed too) cannot leave the
examples after it unauthenticated. Seeded (derandomize) and bounded (max_examples),
so CI reruns the same cases and the run stays well under 90 s on two cores.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error

from fvs import migrate
from fvs.accounts import cookies, sessions
from fvs.accounts import service as accounts
from fvs.accounts.deps import CSRF_HEADER
from fvs.app import create_app
from fvs.billing import service as billing
from fvs.config import Settings
from fvs.keys import service as keys
from fvs.keys.deps import KEY_HEADER

pytestmark = pytest.mark.slow
# Plus schemathesis's own boundary cases per operation: ~1,500 calls, about a minute.
EXAMPLES_PER_OPERATION = 20


class Caller:
    """The app, served in-process with its lifespan, and one account with a key."""

    def __init__(self, data_dir: Path) -> None:
        database = data_dir / "fvs.db"
        data_dir.mkdir(parents=True, exist_ok=True)
        migrate.upgrade(f"sqlite:///{database}")
        self.settings = Settings(
            data_dir=data_dir,
            database_url=f"sqlite:///{database}",
            secret_key="fuzz-secret-not-for-production",
            executor="none",  # renders are accepted and queued; nothing runs them
            status_min_interval_ms=0,
            # wait_for_completion_seconds is fuzzed too; with nothing running renders, any
            # wait would run to its cap. 0 caps it at once (the wait itself has its tests).
            max_wait_seconds=0,
        )
        self.app: FastAPI = create_app(self.settings)
        self.client = TestClient(self.app)

    def open(self) -> None:
        self.client.__enter__()
        studio = self.app.state.studio

        def make(session: Any) -> tuple[str, str]:
            account = accounts.create_account(session, email="fuzz@example.com")
            billing.grant(
                session, account_id=account.id, amount=10**9, transfer_id=f"grant:{uuid.uuid4()}"
            )
            issued = keys.issue_key(
                session, account_id=account.id, name="fuzz", secret=self.settings.resolved_secret
            )
            return account.id, issued.secret

        self.account_id, self.key = studio.db.transact(make)

    def credentials(self) -> tuple[dict[str, str], dict[str, str]]:
        """Headers and cookies of a caller with a key and a freshly started session."""
        started = self.app.state.studio.db.transact(
            lambda s: sessions.start_session(
                s, account_id=self.account_id, secret=self.settings.resolved_secret
            )
        )
        headers = {KEY_HEADER: self.key, CSRF_HEADER: started.record.csrf_token}
        return headers, {cookies.COOKIE: started.token}

    def close(self) -> None:
        self.client.__exit__(None, None, None)


@pytest.fixture(scope="module")
def caller(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Caller]:
    made = Caller(tmp_path_factory.mktemp("fuzz") / "data")
    made.open()
    yield made
    made.close()


@pytest.fixture(scope="module")
def api_schema(caller: Caller) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", caller.app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@hypothesis_settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_a_server_error(case: Any, caller: Caller) -> None:
    headers, jar = caller.credentials()
    case.call_and_validate(headers=headers, cookies=jar, checks=[not_a_server_error])
