"""PostgreSQL restarted mid-render (a private server we own): the render still completes."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from fvs import migrate
from fvs.app import create_app
from fvs.config import Settings
from tests.conftest import SMALL_RENDER, Agent, wait_for
from tests.faults.private_pg import PrivatePostgres

pytestmark = [pytest.mark.slow, pytest.mark.settings(job_retry_base_seconds=0.05)]


@pytest.fixture
def private_pg() -> Iterator[PrivatePostgres]:
    reason = PrivatePostgres.unavailable()
    if reason:
        pytest.skip(reason)
    server = PrivatePostgres().start()
    migrate.upgrade(server.url)
    yield server
    server.stop()


@pytest.fixture
def database_url(private_pg: PrivatePostgres) -> str:
    return private_pg.url


def test_a_render_completes_across_a_postgres_restart(
    settings: Settings, private_pg: PrivatePostgres, make_agent: Callable[..., Agent]
) -> None:
    agent = make_agent(credits=1000)
    body = {"request_json": (None, json.dumps(SMALL_RENDER))}
    with TestClient(create_app(settings)) as client:
        pid = client.post("/api/agent/renders", headers=agent.headers, files=body).json()[
            "project_id"
        ]
        # Running and past planning; a queued render still at `input` proves nothing.
        storyboarding = lambda b: (  # noqa: E731
            b["status"] == "running" and b["current_stage"] not in ("input", "planning")
        )
        before = wait_for(client, agent, pid, ("completed", "failed"), where=storyboarding)
        assert before["status"] == "running", before  # mid-render, or the test proves nothing
        # Fast mode: every open connection, idle in the pool or mid-step, is cut.
        private_pg.pg_ctl("restart", "-m", "fast")
        done = wait_for(client, agent, pid, ("completed", "failed"), timeout=90)
        assert done["status"] == "completed", done
        wallet: dict[str, Any] = client.get("/api/agent/wallet", headers=agent.headers).json()
    assert wallet["held_credits"] == 0
    assert wallet["available_credits"] == 1000 - done["credits_settled"]
