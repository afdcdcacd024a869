"""The /mcp endpoint: streamable HTTP (stateless, JSON answers), behind the agent key.

The key is checked before any MCP work, by the same `principal_of` the JSON API
uses: no key or a bad one is the API's 401 body. The account's backend rides in
the ASGI scope to the tools (tools.BindBackend).
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager

from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from fvs import proxies
from fvs.config import Settings
from fvs.errors import AppError
from fvs.keys.verify import KEY_HEADER, presented_key, principal_of
from fvs.mcp.local import LocalBackend
from fvs.mcp.tools import SCOPE_KEY, build_server
from fvs.studio import Studio

PATH = "/mcp"


def inline_cap(settings: Settings) -> int:
    """The most one inline (base64) file may hold: its encoding must fit the request body cap."""
    return min(settings.max_upload_bytes, settings.max_signed_in_body_bytes * 3 // 4 - 4096)


class McpEndpoint:
    """ASGI app for /mcp: authenticate, bind the account's backend, hand over to the SDK."""

    def __init__(self, settings: Settings) -> None:
        self.server: MCPServer = build_server(inline_cap=inline_cap(settings))

    def running(self) -> AbstractAsyncContextManager[None]:
        """The SDK's task group; the studio's lifespan holds it open.

        A session manager runs once, and an app's lifespan may run again (a reopened
        test client, a reload), so each run gets a fresh one.
        """
        # Keys, not cookies, authenticate here: DNS rebinding gains an attacker nothing.
        self.server.streamable_http_app(
            json_response=True,
            stateless_http=True,
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )
        return self.server.session_manager.run()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        studio: Studio = scope["app"].state.studio
        key = presented_key(Headers(scope=scope))
        try:
            principal = await principal_of(studio, key)
        except AppError as refused:
            await _refusal(refused)(scope, receive, send)
            return
        scope[SCOPE_KEY] = LocalBackend(
            studio,
            scope["app"].state.event_feed,
            account_id=principal.account_id,
            base_url=_origin(scope, studio),
        )
        await self.server.session_manager.handle_request(scope, receive, send)


def _origin(scope: Scope, studio: Studio) -> str:
    if studio.settings.public_base_url:
        return studio.settings.public_base_url.rstrip("/")
    return proxies.request_origin(Request(scope))


def _refusal(error: AppError) -> JSONResponse:
    headers = {"WWW-Authenticate": f'Bearer realm="fvs", header="{KEY_HEADER}"'}
    return JSONResponse(error.to_json(), status_code=error.status_code, headers=headers)
