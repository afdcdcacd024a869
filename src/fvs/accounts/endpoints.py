"""The signed-in account as JSON: its session (sign in and out) and its render defaults."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import JSONResponse, Response

from fvs.accounts import cookies, sessions
from fvs.accounts import service as accounts
from fvs.accounts.deps import ApiWriter, CurrentSession, SignInGuardDep, client_address
from fvs.accounts.emails import normalise_email
from fvs.accounts.schemas import Credentials, DefaultsOut, SessionOut
from fvs.deps import StudioDep, WriteSession
from fvs.errors import ValidationFailed

router = APIRouter(prefix="/api/account", tags=["account"])


@router.get("/session")
def get_session(signed_in: CurrentSession) -> SessionOut:
    return SessionOut(
        account_id=signed_in.account.id,
        email=signed_in.account.email,
        csrf_token=signed_in.csrf_token,
    )


# JSON-only: a cross-site page cannot send application/json without a CORS preflight,
# so this sign-in needs no CSRF token.
@router.post("/session")
def sign_in(
    body: Credentials,
    request: Request,
    session: WriteSession,
    studio: StudioDep,
    guard: SignInGuardDep,
) -> JSONResponse:
    guard.count_attempt(email=body.email, address=client_address(request))
    with guard.hashing_slot():
        started = accounts.sign_in(
            session,
            email=body.email,
            password=body.password,
            secret=studio.settings.resolved_secret,
        )
    answer = SessionOut(
        account_id=started.record.account_id,
        email=normalise_email(body.email),
        csrf_token=started.record.csrf_token,
    )
    response = JSONResponse(answer.model_dump())
    cookies.set_session_cookie(response, request, started.token)
    return response


@router.delete("/session", status_code=204)
def sign_out(
    caller: ApiWriter, request: Request, session: WriteSession, studio: StudioDep
) -> Response:
    token = request.cookies.get(cookies.COOKIE)
    sessions.end_session(session, token=token, secret=studio.settings.resolved_secret)
    response = Response(status_code=204)
    cookies.clear_session_cookie(response, request)
    return response


@router.get("/defaults")
def get_defaults(caller: CurrentSession, studio: StudioDep) -> DefaultsOut:
    return accounts.describe_defaults(caller.account, studio.settings)


@router.put("/defaults")
def replace_defaults(
    caller: ApiWriter, session: WriteSession, studio: StudioDep, values: Any = Body(default=None)
) -> DefaultsOut:
    account = accounts.replace_defaults(
        session, account_id=caller.account.id, values=_object(values)
    )
    return accounts.describe_defaults(account, studio.settings)


@router.patch("/defaults")
def merge_defaults(
    caller: ApiWriter, session: WriteSession, studio: StudioDep, values: Any = Body(default=None)
) -> DefaultsOut:
    account = accounts.merge_defaults(session, account_id=caller.account.id, values=_object(values))
    return accounts.describe_defaults(account, studio.settings)


def _object(values: Any) -> dict[str, Any]:
    if not isinstance(values, dict):
        raise ValidationFailed("body", "send a JSON object of defaults")
    return values
