"""A cap on every request body, enforced while it streams, before anyone is trusted.

Without it a stranger's 120 MB chunked JSON is buffered whole before the route
learns nobody signed in, and a multipart post to /login is spooled to disk
whatever its size. Caps, smallest first:

- anonymous: routes that take no key or session (sign-in, sign-up), and any
  request that shows no credential at all;
- signed in: other routes that show a session cookie or an agent key;
- uploads: the render submits (API and page), once their key or session is
  verified here, so an unknown key is refused having read nothing.

A declared Content-Length over the cap is refused at once; a chunked body is
counted in `receive` and cut off at the cap. Either way: 413 request_too_large.
"""

from __future__ import annotations

from anyio import to_thread
from starlette.datastructures import Headers
from starlette.requests import cookie_parser
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fvs.accounts import sessions
from fvs.accounts.cookies import COOKIE
from fvs.config import Settings
from fvs.errors import AppError
from fvs.keys import service as keys
from fvs.keys.deps import KEY_HEADER
from fvs.studio import Studio

ANONYMOUS_ROUTES = {("POST", "/api/account/session"), ("POST", "/login"), ("POST", "/signup")}
KEY_UPLOAD_ROUTES = {("POST", "/api/agent/renders")}
SESSION_UPLOAD_ROUTES = {("POST", "/projects")}
MULTIPART_SLACK = 64 * 1024  # part headers and boundaries around the files


class RequestTooLarge(AppError):
    status_code = 413
    code = "request_too_large"

    def __init__(self, cap: int) -> None:
        super().__init__(f"the request body is larger than {cap} bytes; send less")


def upload_cap(settings: Settings) -> int:
    """The most a render submit may send: its JSON, every upload at full size, and framing."""
    return (
        settings.max_request_json_bytes
        + settings.max_uploads * settings.max_upload_bytes
        + MULTIPART_SLACK
    )


class BodyLimits:
    """ASGI middleware: answers 413 (or 401 for an unknown key) before a body outgrows its cap."""

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        try:
            cap = await self._cap(scope, headers)
        except AppError as refused:  # an unknown key on an upload route: nothing read
            await _answer(refused)(scope, receive, send)
            return
        declared = headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > cap):
            await _answer(RequestTooLarge(cap))(scope, receive, send)
            return
        await self._within(cap, scope, receive, send)

    async def _cap(self, scope: Scope, headers: Headers) -> int:
        """This request's cap; raises the key's 401 on an upload route."""
        route = (scope["method"], _route_path(scope))
        small = self.settings.max_anonymous_body_bytes
        if route in ANONYMOUS_ROUTES:
            return small
        studio: Studio | None = getattr(scope["app"].state, "studio", None)
        key = headers.get(KEY_HEADER)
        token = cookie_parser(headers.get("cookie", "")).get(COOKIE)
        if studio is not None and route in KEY_UPLOAD_ROUTES:
            await to_thread.run_sync(_verify_key, studio, key)
            return upload_cap(self.settings)
        if studio is not None and route in SESSION_UPLOAD_ROUTES:
            known = await to_thread.run_sync(_session_known, studio, token)
            return upload_cap(self.settings) if known else small
        # Routes check their own credentials; here only whether any were shown.
        # The MCP endpoint also takes `Authorization: Bearer <key>`.
        shown = key or token or headers.get("authorization")
        return self.settings.max_signed_in_body_bytes if shown else small

    async def _within(self, cap: int, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app, counting body bytes; past the cap, replace its answer with a 413."""
        meter = _Meter(cap, receive, send)
        try:
            await self.app(scope, meter.receive, meter.send)
        except Exception:
            if not meter.cut_off:
                raise
        if meter.cut_off and not meter.started:
            await _answer(RequestTooLarge(cap))(scope, receive, send)


class _Meter:
    """One request's body count, and whether its answer has begun."""

    def __init__(self, cap: int, receive: Receive, send: Send) -> None:
        self.cap = cap
        self.received = 0
        self.cut_off = False
        self.started = False
        self._receive = receive
        self._send = send

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.cap:
                self.cut_off = True
                raise RequestTooLarge(self.cap)  # stop reading: the rest stays on the wire
        return message

    async def send(self, message: Message) -> None:
        if self.cut_off:
            return  # the app's answer to a body it never got whole; ours follows
        self.started = self.started or message["type"] == "http.response.start"
        await self._send(message)


def _route_path(scope: Scope) -> str:
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def _answer(error: AppError) -> JSONResponse:
    # The unread body stays on the connection: close it rather than parse what follows.
    return JSONResponse(
        error.to_json(), status_code=error.status_code, headers={"Connection": "close"}
    )


def _verify_key(studio: Studio, clear: str | None) -> None:
    with studio.db.read() as session:
        keys.verify_key(session, clear=clear, secret=studio.settings.resolved_secret)


def _session_known(studio: Studio, token: str | None) -> bool:
    with studio.db.read() as session:
        found = sessions.resolve_session(
            session, token=token, secret=studio.settings.resolved_secret
        )
        return found is not None
