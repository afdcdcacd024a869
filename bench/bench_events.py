"""What an idle live-event subscriber costs one `fvs serve` process, against its baseline.

Starts a real server (embedded default: SQLite, worker threads), halts one render for
review so its stream is quiet, then prints the server's RSS and threads with 0, 1 and N
idle subscribers, the memory per subscriber, and N subscribers' RSS as a ratio of the
baseline measured in the same run.
Usage: python bench/bench_events.py [N]   (default 200)
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import uuid
from contextlib import AsyncExitStack
from pathlib import Path

import httpx

from fvs.accounts import service as accounts
from fvs.app import build_studio
from fvs.billing import service as billing
from fvs.config import Settings
from fvs.keys import service as keys
from tests.events.idle import ServerLoad, halted_render, measure, open_streams
from tests.live_server import LiveServer

MB = 1024 * 1024
SETTLE_SECONDS = 12  # idle anyio worker threads retire after 10 s


def agent_key(settings: Settings) -> str:
    studio = build_studio(settings)

    def create(session: object) -> str:
        account = accounts.create_account(session, email=f"bench-{uuid.uuid4().hex[:6]}@x.com")
        billing.grant(session, account_id=account.id, amount=1000, transfer_id="grant:bench")
        issued = keys.issue_key(
            session, account_id=account.id, name="bench", secret=settings.resolved_secret
        )
        return issued.secret

    try:
        return studio.db.transact(create)
    finally:
        studio.db.dispose()


async def loads(server: LiveServer, headers: dict[str, str], count: int) -> list[ServerLoad]:
    project_id = halted_render(server.base_url, headers)
    url = f"{server.base_url}/api/agent/renders/{project_id}/events"
    assert server.process is not None
    limits = httpx.Limits(max_connections=count + 20)
    async with AsyncExitStack() as stack:
        client = await stack.enter_async_context(
            httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(60, read=None))
        )
        await asyncio.sleep(SETTLE_SECONDS)
        found = [await measure(client, server.base_url, server.process.pid)]
        for step in (1, count - 1):
            await open_streams(stack, client, url, headers, step)
            await asyncio.sleep(SETTLE_SECONDS)
            found.append(await measure(client, server.base_url, server.process.pid))
        return found


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with tempfile.TemporaryDirectory() as data:
        settings = Settings(data_dir=Path(data), secret_key="bench-events")
        key = agent_key(settings)
        server = LiveServer(Path(data), FVS_SECRET_KEY="bench-events").start()
        try:
            zero, one, many = asyncio.run(loads(server, {"X-FVS-Agent-Key": key}, count))
        finally:
            server.stop()
    for label, load in (("0", zero), ("1", one), (str(count), many)):
        print(f"{label:>4} idle subscribers: RSS {load.rss_bytes / MB:7.1f} MB, "
              f"{load.threads} threads, "
              f"{load.pool_checked_out:.0f} DB connections checked out")  # fmt: skip
    per = (many.rss_bytes - one.rss_bytes) / (count - 1)
    print(f"memory per idle subscriber: {per / 1024:.1f} KiB "
          f"({count} subscribers: {many.rss_bytes / zero.rss_bytes:.3f}x the baseline RSS; "
          f"threads {zero.threads} -> {many.threads})")  # fmt: skip


if __name__ == "__main__":
    main()
