"""Security headers on every response: a Content-Security-Policy and its companions.

The studio's pages load only their own files: /static/studio.js and studio.css, no
inline script, handler or style attribute, so `script-src 'self'` holds everywhere
and an injected <script> cannot run. Media come from our own /media/ links, from
FVS_PUBLIC_BASE_URL's origin when that differs from the page's, or, with
FVS_STORAGE_URL=s3://..., from the object store's presigned URLs: that origin is
read off a presigned link once, so it is exactly the host the pages will use.

/docs and /redoc are FastAPI's HTML helpers, which start Swagger UI and ReDoc with
an inline <script> (and ReDoc styles itself with inline <style> and a blob: worker).
Those two pages, and only those, allow inline script and style: they show our own
schema and nothing a user wrote, and everything else in their policy is as strict.

HSTS goes out only when the request arrived over https, as fvs.proxies settled it:
a plain-http answer cannot set it, and a forged X-Forwarded-Proto must not.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fvs.storage.local import LocalStorage
from fvs.studio import Studio

DOCS_PAGES = ("/docs", "/redoc")
HSTS = "max-age=31536000; includeSubDomains"
# Features Chromium knows: an unknown name makes it log an error on every page.
PERMISSIONS = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), midi=(), "
    "magnetometer=(), gyroscope=(), accelerometer=(), display-capture=()"
)
FIXED = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "permissions-policy": PERMISSIONS,
    "cross-origin-opener-policy": "same-origin",
}


def origin_of(url: str | None) -> str | None:
    """scheme://host[:port] of an absolute http(s) URL, else None."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def media_origins(studio: Studio) -> tuple[str, ...]:
    """Where the pages' <img>, <video> and <audio> sources may live besides our own origin."""
    found = [origin_of(studio.settings.public_base_url)]
    if not isinstance(studio.storage, LocalStorage):
        # Presigning is local arithmetic (no request): the link names the store's host.
        found.append(origin_of(studio.storage.link("csp-probe", base_url="", ttl_seconds=60)))
    return tuple(sorted({origin for origin in found if origin}))


def content_security_policy(media: Iterable[str], *, docs: bool = False) -> str:
    """The policy of a studio page, or (docs=True) of the Swagger UI and ReDoc pages."""
    sources = " ".join(["'self'", *media])
    inline = " 'unsafe-inline'" if docs else ""
    directives = [
        "default-src 'self'",
        f"script-src 'self'{inline}",
        f"style-src 'self'{inline}",
        f"img-src {sources}" + (" data:" if docs else ""),
        f"media-src {sources}",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
    if docs:
        directives.append("worker-src 'self' blob:")
    return "; ".join(directives)


class SecurityHeaders:
    """ASGI middleware: adds the headers above to every HTTP response that lacks them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._policies: tuple[str, str] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = scope["path"].rstrip("/") in DOCS_PAGES
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self._headers(scope, docs=docs, https=https).items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _headers(self, scope: Scope, *, docs: bool, https: bool) -> dict[str, str]:
        page, docs_page = self._policies_for(scope)
        headers = {**FIXED, "content-security-policy": docs_page if docs else page}
        if https:
            headers["strict-transport-security"] = HSTS
        return headers

    def _policies_for(self, scope: Scope) -> tuple[str, str]:
        # The studio exists once the lifespan has run; before that (or without one) only
        # our own origin is allowed, and nothing is cached, so the real origins still come.
        if self._policies is not None:
            return self._policies
        studio = getattr(scope["app"].state, "studio", None) if "app" in scope else None
        if studio is None:
            return content_security_policy(()), content_security_policy((), docs=True)
        media = media_origins(studio)
        self._policies = (
            content_security_policy(media),
            content_security_policy(media, docs=True),
        )
        return self._policies
