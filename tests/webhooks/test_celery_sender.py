"""At scale (FVS_EXECUTOR=celery) the API only writes the outbox; `fvs worker` sends."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from fvs.config import Settings
from tests.conftest import SMALL_RENDER, Agent, wait_for
from tests.jobs.brokers import Broker, WorkerProcess, celery_settings, open_broker
from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.slow  # a Celery worker process renders


@pytest.fixture
def broker(request: pytest.FixtureRequest) -> Broker:
    return open_broker(request, "redis")


@pytest.fixture
def settings_overrides(settings_overrides: dict, broker: Broker) -> dict:
    return {
        **celery_settings(broker),
        "webhook_allow_private": True,
        "webhook_poll_seconds": 0.1,
        **settings_overrides,
    }


@pytest.fixture
def worker(settings: Settings, tmp_path: Path) -> Iterator[WorkerProcess]:
    process = WorkerProcess.fvs_worker(
        settings, tmp_path / "worker.log", "--pool", "threads", "--concurrency", "2"
    )
    yield process
    process.stop()


def test_the_celery_worker_sends_a_renders_webhooks(
    client: TestClient, make_agent: Callable[..., Agent], worker: WorkerProcess
) -> None:
    worker.start()
    agent = make_agent()
    secret = client.get("/api/agent/webhooks/render-secret", headers=agent.headers).json()
    with Receiver() as receiver:
        submitted = client.post(
            "/api/agent/renders",
            headers=agent.headers,
            json={**SMALL_RENDER, "webhook_url": receiver.url},
        )
        assert submitted.status_code == 202, submitted.text
        done = wait_for(client, agent, submitted.json()["project_id"], ("completed", "failed"), 120)
        assert done["status"] == "completed", done["last_error"]
        receiver.wait_until(lambda got: len(got) >= 6, timeout=60)
    bodies = [r.verify(secret["secret"]) for r in receiver.received]
    assert bodies[0]["type"] == "render.queued"
    assert bodies[-1]["type"] == "render.completed"
