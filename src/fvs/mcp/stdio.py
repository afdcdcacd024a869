"""`fvs mcp`: the MCP server over stdio, talking to a studio's public HTTP API."""

from __future__ import annotations

from fvs.mcp.remote import RemoteBackend
from fvs.mcp.tools import build_server


async def serve_stdio(*, base_url: str, key: str) -> None:
    """Serve the tools on stdin/stdout until the client closes them."""
    remote = RemoteBackend(base_url, key)
    try:
        await build_server(fixed=remote, remote=remote).run_stdio_async()
    finally:
        await remote.aclose()
