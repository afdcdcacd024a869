"""The browser session's cookies: an HttpOnly token, and a CSRF token for pre-login forms."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from fvs import proxies
from fvs.accounts.sessions import LIFETIME

COOKIE = "fvs_session"
CSRF_COOKIE = "fvs_csrf"  # double-submit token for the forms shown before sign-in


def is_https(request: Request) -> bool:
    # X-Forwarded-Proto counts only from a trusted proxy: fvs.ops.proxies settles the scheme.
    return proxies.is_https(request)


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(LIFETIME.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=is_https(request),
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        COOKIE, path="/", httponly=True, samesite="lax", secure=is_https(request)
    )


def set_csrf_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        CSRF_COOKIE, token, path="/", httponly=True, samesite="lax", secure=is_https(request)
    )
