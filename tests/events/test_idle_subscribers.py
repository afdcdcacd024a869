"""200 idle subscribers on one `fvs serve` hold no thread and no database connection each."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

import httpx
import pytest

from tests.events.idle import halted_render, measure, next_ping, open_streams
from tests.live_server import LiveServer

SUBSCRIBERS = 200
# anyio retires a worker thread idle for 10 s; the poller's next read lets it go.
SETTLE_SECONDS = 12


@pytest.fixture
def live(settings, make_agent):
    agent = make_agent()
    server = LiveServer(
        settings.data_dir,
        FVS_DATABASE_URL=str(settings.database_url),
        FVS_SECRET_KEY=str(settings.secret_key),
        FVS_EVENTS_KEEPALIVE_SECONDS="1",
        FVS_STATUS_MIN_INTERVAL_MS="0",
    ).start()
    try:
        yield server, agent
    finally:
        server.stop()


@pytest.mark.slow
def test_idle_subscribers_hold_no_thread_and_no_connection(live):
    server, agent = live
    project_id = halted_render(server.base_url, agent.headers)
    url = f"{server.base_url}/api/agent/renders/{project_id}/events"
    assert server.process is not None
    pid = server.process.pid

    async def scenario():
        limits = httpx.Limits(max_connections=SUBSCRIBERS + 20)
        timeout = httpx.Timeout(60, read=None)
        async with AsyncExitStack() as stack:
            client = await stack.enter_async_context(
                httpx.AsyncClient(limits=limits, timeout=timeout)
            )
            one = await open_streams(stack, client, url, agent.headers, 1)
            lines = one[0].aiter_lines()
            await asyncio.wait_for(next_ping(lines), 10)  # keep-alives flow
            await asyncio.sleep(SETTLE_SECONDS)
            before = await measure(client, server.base_url, pid)
            await open_streams(stack, client, url, agent.headers, SUBSCRIBERS - 1)
            await asyncio.sleep(SETTLE_SECONDS)
            after = await measure(client, server.base_url, pid)
            await asyncio.wait_for(next_ping(lines), 10)  # the first one is still served
            return before, after

    before, after = asyncio.run(scenario())
    print(before, after)
    assert before.subscribers == 1
    assert after.subscribers == SUBSCRIBERS
    # A thread per subscriber would add 199; a few come and go with the server's own work.
    assert after.threads - before.threads < 10, (before, after)
    assert after.pool_checked_out <= 1, (before, after)
