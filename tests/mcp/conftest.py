"""A live studio (uvicorn in a thread) and the SDK's own MCP clients against it."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx2
import pytest
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client

from fvs.config import Settings
from tests.threaded_server import serve_in_thread

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture
def live(settings: Settings) -> Iterator[str]:
    with serve_in_thread(settings) as base_url:
        yield base_url


@asynccontextmanager
async def http_session(base_url: str, headers: dict[str, str]) -> AsyncIterator[ClientSession]:
    """An MCP session over streamable HTTP to the studio's /mcp."""
    async with (
        httpx2.AsyncClient(headers=headers, timeout=120) as client,
        streamable_http_client(f"{base_url}/mcp", http_client=client) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


@asynccontextmanager
async def stdio_session(base_url: str, key: str) -> AsyncIterator[ClientSession]:
    """An MCP session with `python -m fvs mcp`, spawned and pointed at the studio."""
    env = {
        "FVS_AGENT_KEY": key,
        "FVS_BASE_URL": base_url,
        # The spawned server imports this checkout, whatever is installed.
        "PYTHONPATH": os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")])),
    }
    params = StdioServerParameters(command=sys.executable, args=["-m", "fvs", "mcp"], env=env)
    async with (
        stdio_client(params) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session
