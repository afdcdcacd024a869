"""Idle event-stream subscribers on a real `fvs serve` process, and what they cost it.

Shared by tests/events/test_idle_subscribers.py and bench/bench_events.py.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass

import httpx
import psutil

from tests.conftest import SMALL_RENDER


@dataclass(frozen=True)
class ServerLoad:
    threads: int
    rss_bytes: int
    subscribers: float
    pool_checked_out: float


def halted_render(base_url: str, headers: dict[str, str]) -> str:
    """Submit a render that halts for review, and wait until it does: a quiet project."""
    body = SMALL_RENDER | {"stage_behaviour": "halt_for_review"}
    answer = httpx.post(
        f"{base_url}/api/agent/renders",
        headers=headers,
        files={"request_json": (None, json.dumps(body))},
        timeout=30,
    )
    assert answer.status_code == 202, answer.text
    project_id = answer.json()["project_id"]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = httpx.get(f"{base_url}/api/agent/renders/{project_id}", headers=headers).json()
        if status["needs_approval"]:
            return project_id
        time.sleep(0.2)
    raise AssertionError(f"render never halted: {status}")


def gauge(metrics: str, name: str) -> float:
    found = re.search(rf"^{name} (\S+)$", metrics, re.MULTILINE)
    assert found is not None, f"{name} missing from /metrics"
    return float(found.group(1))


async def measure(client: httpx.AsyncClient, base_url: str, pid: int) -> ServerLoad:
    metrics = (await client.get(f"{base_url}/metrics")).text
    process = psutil.Process(pid)
    return ServerLoad(
        threads=process.num_threads(),
        rss_bytes=process.memory_info().rss,
        subscribers=gauge(metrics, "fvs_event_subscribers"),
        pool_checked_out=gauge(metrics, "fvs_db_pool_checked_out"),
    )


async def open_streams(
    stack: AsyncExitStack,
    client: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    count: int,
) -> list[httpx.Response]:
    """Open `count` streams and leave them open (until the stack closes)."""
    opened = []
    for _ in range(count):
        response = await stack.enter_async_context(client.stream("GET", url, headers=headers))
        assert response.status_code == 200
        opened.append(response)
    return opened


async def next_ping(lines: AsyncIterator[str]) -> None:
    """Read a stream's lines until a keep-alive comment arrives."""
    async for line in lines:
        if line.startswith(":"):
            return
