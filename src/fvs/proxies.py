"""Who is asking, over which scheme, at which origin: the one place that reads proxy headers.

X-Forwarded-For, -Proto and -Host are anyone's to write, so they count only when the
peer that handed us the connection is a proxy the operator listed in
FVS_TRUSTED_PROXIES (IPs or CIDRs; empty trusts none). Then this middleware rewrites
the ASGI scope in place, client address, scheme and Host, before anything else
reads it, so the rest of the app (the status and cancel URLs, the cookies' Secure
flag, HSTS, uvicorn's access log) just reads `request.client`, `request.url.scheme`
and the Host header, and never a forwarded header itself.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from fvs.config import Network

# A host name or address, with an optional port: nothing that could bend a URL we build.
SANE_HOST = re.compile(r"(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?")


def _is_trusted(address: str, networks: Iterable[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


class TrustedProxies:
    """ASGI middleware: honour X-Forwarded-* from listed proxies only, ignore them otherwise."""

    def __init__(self, app: ASGIApp, networks: tuple[Network, ...]) -> None:
        self.app = app
        self.networks = networks

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and self.networks:
            peer = scope.get("client")
            if peer and _is_trusted(peer[0], self.networks):
                self._apply_forwarded(scope)
        await self.app(scope, receive, send)

    def _apply_forwarded(self, scope: Scope) -> None:
        headers: dict[bytes, str] = {}
        for name, value in scope["headers"]:
            # A header sent on several lines is one comma-separated list (RFC 9110 5.3).
            seen = headers.get(name.lower())
            text = value.decode("latin-1")
            headers[name.lower()] = f"{seen}, {text}" if seen is not None else text
        client = self._client(headers.get(b"x-forwarded-for", ""))
        if client is not None:
            scope["client"] = (client, 0)
        # The nearest proxy's word is the last entry: it is the one we trust.
        proto = _last(headers.get(b"x-forwarded-proto", "")).lower()
        if proto in ("http", "https"):
            websocket = scope["type"] == "websocket"
            scope["scheme"] = {"http": "ws", "https": "wss"}[proto] if websocket else proto
        host = _last(headers.get(b"x-forwarded-host", ""))
        if SANE_HOST.fullmatch(host):
            kept = [(k, v) for k, v in scope["headers"] if k.lower() != b"host"]
            scope["headers"] = [*kept, (b"host", host.encode("latin-1"))]

    def _client(self, forwarded_for: str) -> str | None:
        # Walk back from the nearest hop; the first address not one of our proxies is the
        # client. Anything left of it was written by the client and proves nothing.
        hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
        for hop in reversed(hops):
            if not _is_trusted(hop, self.networks):
                return hop if _is_address(hop) else None
        return hops[0] if hops and _is_address(hops[0]) else None


def _last(value: str) -> str:
    return value.rsplit(",", 1)[-1].strip()


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def client_address(request: Request) -> str | None:
    """The client's address: the peer, or what a trusted proxy said the peer was."""
    return request.client.host if request.client else None


def is_https(request: Request) -> bool:
    """Whether the client reached us over https (through a trusted proxy, if any)."""
    return request.url.scheme in ("https", "wss")


def request_origin(request: Request) -> str:
    """scheme://host[:port] as the client sees it, from the scope the middleware settled."""
    host = request.headers.get("host") or request.url.netloc
    return f"{request.url.scheme}://{host}"
