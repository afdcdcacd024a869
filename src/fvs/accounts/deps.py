"""Who is signed in, and CSRF checks, as FastAPI dependency shortcuts.

JSON routes answer 401 when nobody is signed in; page routes redirect to /login.
Every state-changing request proves it came from our own pages: forms carry a
hidden csrf_token equal to the session's (or, before sign-in, to the fvs_csrf
cookie), and JSON calls send it in the X-CSRF-Token header.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.responses import Response

from fvs import proxies
from fvs.accounts import cookies, sessions
from fvs.accounts.service import get_account
from fvs.accounts.throttle import SignInGuard
from fvs.deps import StudioDep
from fvs.errors import AppError, ValidationFailed
from fvs.models import Account
from fvs.studio import Studio

CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
# Email, password and CSRF token; no files. Strangers post these, so they are kept tight.
SIGN_IN_FORM_LIMITS = {"max_files": 0, "max_fields": 8, "max_part_size": 64 * 1024}


class NotSignedIn(AppError):
    status_code = 401
    code = "not_signed_in"

    def __init__(self) -> None:
        super().__init__("sign in first: no valid fvs_session cookie")


class CsrfFailed(AppError):
    status_code = 403
    code = "csrf_failed"

    def __init__(self, message: str = "the CSRF token is missing or wrong") -> None:
        super().__init__(message, field=CSRF_FIELD)


class LoginRequired(Exception):
    """Raised by page dependencies; PageRoute turns it into a 303 to /login."""


class PageRoute(APIRoute):
    """A route for HTML pages: a missing session becomes a redirect, not a 401."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired:
                return RedirectResponse("/login", status_code=303)

        return handle


@dataclass(frozen=True)
class SignedIn:
    account: Account
    session_id: str
    csrf_token: str


def _lookup(studio: Studio, token: str | None) -> SignedIn | None:
    with studio.db.read() as session:
        record = sessions.resolve_session(
            session, token=token, secret=studio.settings.resolved_secret
        )
        if record is None:
            return None
        account = get_account(session, record.account_id)
        return SignedIn(account=account, session_id=record.id, csrf_token=record.csrf_token)


async def optional_session(request: Request, studio: StudioDep) -> SignedIn | None:
    """The signed-in browser, or None."""
    return await run_in_threadpool(_lookup, studio, request.cookies.get(cookies.COOKIE))


MaybeSignedIn = Annotated[SignedIn | None, Depends(optional_session)]


async def current_session(signed_in: MaybeSignedIn) -> SignedIn:
    """The signed-in browser, or 401 JSON."""
    if signed_in is None:
        raise NotSignedIn()
    return signed_in


async def current_account(signed_in: Annotated[SignedIn, Depends(current_session)]) -> Account:
    return signed_in.account


CurrentSession = Annotated[SignedIn, Depends(current_session)]
CurrentAccount = Annotated[Account, Depends(current_account)]


async def api_writer(request: Request, signed_in: CurrentSession) -> SignedIn:
    """A signed-in JSON caller that sent the session's token in X-CSRF-Token, else 403."""
    if not tokens_match(request.headers.get(CSRF_HEADER), signed_in.csrf_token):
        raise CsrfFailed(f"send the session's CSRF token in the {CSRF_HEADER} header")
    return signed_in


ApiWriter = Annotated[SignedIn, Depends(api_writer)]


async def page_session(signed_in: MaybeSignedIn) -> SignedIn:
    """The signed-in browser; on a PageRoute, a redirect to /login otherwise."""
    if signed_in is None:
        raise LoginRequired()
    return signed_in


PageSession = Annotated[SignedIn, Depends(page_session)]


async def read_form(request: Request, **limits: int) -> FormData:
    """The posted form, parsed within limits on its parts; a refused form is 422 `body`."""
    try:
        return await request.form(**limits)
    except (MultiPartException, HTTPException) as exc:
        message = getattr(exc, "message", None) or getattr(exc, "detail", "")
        raise ValidationFailed("body", f"form refused: {message}") from None


async def form_writer(request: Request, signed_in: PageSession, studio: StudioDep) -> SignedIn:
    """A signed-in form post whose hidden csrf_token matches the session's, else 403."""
    # The new-project form carries the uploads; no other signed-in form carries files.
    form = await read_form(request, max_files=studio.settings.max_uploads, max_fields=500)
    if not tokens_match(_text(form.get(CSRF_FIELD)), signed_in.csrf_token):
        raise CsrfFailed()
    return signed_in


FormWriter = Annotated[SignedIn, Depends(form_writer)]


@dataclass(frozen=True)
class SignInForm:
    email: str
    password: str


async def pre_login_form(request: Request) -> SignInForm:
    """A sign-up or login post: the hidden field must equal the fvs_csrf cookie (403)."""
    # Read here, not by FastAPI's Form(): a stranger's form gets these tight limits.
    form = await read_form(request, **SIGN_IN_FORM_LIMITS)
    if not tokens_match(_text(form.get(CSRF_FIELD)), request.cookies.get(cookies.CSRF_COOKIE)):
        raise CsrfFailed("the form expired or the fvs_csrf cookie is missing; reload the page")
    return SignInForm(
        email=_text(form.get("email")) or "", password=_text(form.get("password")) or ""
    )


PreLoginForm = Annotated[SignInForm, Depends(pre_login_form)]


def client_address(request: Request) -> str:
    """The address a request came from, as the sign-in limits count it."""
    # Behind a proxy in FVS_TRUSTED_PROXIES this is the address the proxy forwarded.
    return proxies.client_address(request) or "unknown"


def sign_in_guard(request: Request) -> SignInGuard:
    """The app's limits on password attempts (built by create_app)."""
    guard: SignInGuard = request.app.state.sign_in_guard
    return guard


SignInGuardDep = Annotated[SignInGuard, Depends(sign_in_guard)]


def tokens_match(given: str | None, expected: str | None) -> bool:
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
