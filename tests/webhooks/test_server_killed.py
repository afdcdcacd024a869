"""`fvs serve` killed while a webhook is in flight: after a restart everything arrives.

The outbox rows and their deliveries live in the database; a delivery leased by the
dead server is taken again once its lease runs out, so the in-flight event is sent
again (receivers dedupe on webhook-id) and no event is lost.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import SMALL_RENDER
from tests.live_server import LiveServer, fvs
from tests.webhooks.receiver import Received, Receiver

pytestmark = pytest.mark.slow
ENV = {
    "FVS_WEBHOOK_ALLOW_PRIVATE": "true",
    "FVS_WEBHOOK_POLL_SECONDS": "0.1",
    "FVS_WEBHOOK_LEASE_SECONDS": "3",
    "FVS_WEBHOOK_RETRY_BASE_SECONDS": "0.1",
    "FVS_JOB_LEASE_SECONDS": "3",
    "FVS_STATUS_MIN_INTERVAL_MS": "0",
}


def _hold_the_first(receiver: Receiver) -> tuple[threading.Event, threading.Event]:
    """The first webhook's answer waits until released: the server dies meanwhile."""
    arrived, release = threading.Event(), threading.Event()

    def hold(received: Received) -> None:
        if not arrived.is_set():
            arrived.set()
            release.wait(60)

    receiver.before_answer = hold
    return arrived, release


def _submit(server: LiveServer, key: str, url: str) -> str:
    answer = requests.post(
        f"{server.base_url}/api/agent/renders",
        headers={"X-FVS-Agent-Key": key},
        json={**SMALL_RENDER, "webhook_url": url},
        timeout=30,
    )
    assert answer.status_code == 202, answer.text
    return str(answer.json()["project_id"])


def _wait_completed(server: LiveServer, key: str, project_id: str) -> None:
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        body = requests.get(
            f"{server.base_url}/api/agent/renders/{project_id}",
            headers={"X-FVS-Agent-Key": key},
            timeout=30,
        ).json()
        if body["status"] in ("completed", "failed", "cancelled"):
            assert body["status"] == "completed", body
            return
        time.sleep(0.2)
    raise AssertionError("the render did not finish after the restart")


def _rows(database: Path, project_id: str) -> tuple[list[str], list[str]]:
    with sqlite3.connect(database) as conn:
        events = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM webhook_events WHERE project_id = ? ORDER BY seq", (project_id,)
            )
        ]
        states = [r[0] for r in conn.execute("SELECT state FROM webhook_deliveries")]
    return events, states


def test_a_killed_server_delivers_after_restart_and_loses_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = LiveServer(data, **ENV).start()
    try:
        fvs(server.env, "accounts", "create", "hooks@example.com", "--credits", "2000")
        key = fvs(server.env, "keys", "create", "hooks@example.com", "--name", "t").splitlines()[-1]
        secret = requests.get(
            f"{server.base_url}/api/agent/webhooks/render-secret",
            headers={"X-FVS-Agent-Key": key},
            timeout=30,
        ).json()["secret"]
        with Receiver() as receiver:
            arrived, release = _hold_the_first(receiver)
            project_id = _submit(server, key, receiver.url)
            assert arrived.wait(60), "the first webhook never left"
            in_flight = receiver.received[0].msg_id
            server.kill()  # mid-delivery: the receiver has not answered yet
            release.set()
            server.start()
            _wait_completed(server, key, project_id)
            receiver.wait_until(lambda got: "render.completed" in _types(got), timeout=60)
            events, _ = _rows(data / "fvs.db", project_id)
            receiver.wait_until(lambda got: set(events) <= {r.msg_id for r in got}, timeout=60)
            received = list(receiver.received)
    finally:
        server.stop()
    events, states = _rows(data / "fvs.db", project_id)
    assert set(states) == {"delivered"}
    assert {r.msg_id for r in received} == set(events)  # nothing lost, nothing invented
    assert [r.msg_id for r in received].count(in_flight) >= 2  # sent again after the restart
    for one in received:
        one.verify(secret)
    assert _types(received)[0] == "render.queued"


def _types(received: list[Received]) -> list[str]:
    return [json.loads(r.body)["type"] for r in received]
