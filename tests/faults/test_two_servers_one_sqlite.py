"""Two `fvs serve` processes on one SQLite file: both render, and the file stays sound.

SQLite runs in WAL mode with a busy timeout, every writer starts with BEGIN
IMMEDIATE, and job leases keep the two servers' worker threads off each other's
steps, so sharing a file on one machine is supported rather than refused.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from fvs.billing.audit import audit_database
from tests.conftest import SMALL_RENDER
from tests.live_server import LiveServer, fvs

pytestmark = pytest.mark.slow


@pytest.fixture
def two_servers(tmp_path: Path) -> Iterator[tuple[LiveServer, LiveServer, str]]:
    data = tmp_path / "data"
    first = LiveServer(data).start()
    second = LiveServer(data).start()  # same data dir: the same fvs.db
    try:
        fvs(first.env, "accounts", "create", "two@example.com", "--credits", "2000")
        key = fvs(first.env, "keys", "create", "two@example.com", "--name", "t").splitlines()[-1]
        yield first, second, key
    finally:
        first.stop()
        second.stop()


def submit(server: LiveServer, key: str) -> str:
    answer = requests.post(
        f"{server.base_url}/api/agent/renders",
        headers={"X-FVS-Agent-Key": key},
        files={"request_json": (None, json.dumps(SMALL_RENDER))},
        timeout=30,
    )
    assert answer.status_code == 202, answer.text
    return str(answer.json()["project_id"])


def status(server: LiveServer, key: str, project_id: str) -> dict[str, object]:
    url = f"{server.base_url}/api/agent/renders/{project_id}"
    answer = requests.get(url, headers={"X-FVS-Agent-Key": key}, timeout=30)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_two_servers_share_one_sqlite_file(two_servers: tuple[LiveServer, LiveServer, str]) -> None:
    first, second, key = two_servers
    projects = [submit(server, key) for server in (first, second, first, second)]
    deadline = time.monotonic() + 150
    pending = set(projects)
    while pending and time.monotonic() < deadline:
        for pid in list(pending):
            # Ask the other server: each must see the other's writes.
            body = status(second if projects.index(pid) % 2 == 0 else first, key, pid)
            if body["status"] in ("completed", "failed", "cancelled"):
                assert body["status"] == "completed", body
                pending.discard(pid)
        time.sleep(0.2)
    assert not pending, f"renders stuck: {pending}"
    database = Path(first.env["FVS_DATA_DIR"]) / "fvs.db"
    first.stop()
    second.stop()
    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    report = audit_database(f"sqlite:///{database}")
    assert report.ok, report.breaches
    assert report.counts.wallets == 1
