"""The signed-in account as JSON: its session (sign in and out) and its render defaults."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict

from fvs.accounts import service as accounts
from fvs.accounts import sessions
from fvs.accounts.dependencies import ApiWriter, CurrentSession, SignedIn
from fvs.config import Settings
from fvs.deps import StudioDep
from fvs.errors import ValidationFailed
from fvs.models import Account

router = APIRouter(prefix="/api/account", tags=["account"])


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str
    password: str


def describe_session(signed_in: SignedIn) -> dict[str, Any]:
    return {
        "account_id": signed_in.account.id,
        "email": signed_in.account.email,
        "csrf_token": signed_in.csrf_token,
    }


def describe_defaults(account: Account, settings: Settings) -> dict[str, Any]:
    return {
        "saved": dict(account.defaults or {}),
        "effective": accounts.effective_defaults(account, settings),
    }


@router.get("/session")
def get_session(signed_in: CurrentSession) -> dict[str, Any]:
    return describe_session(signed_in)


# JSON-only: a cross-site page cannot send application/json without a CORS preflight,
# so this sign-in needs no CSRF token.
@router.post("/session")
def sign_in(body: Credentials, request: Request, studio: StudioDep) -> JSONResponse:
    started = studio.db.transact(
        lambda session: accounts.sign_in(
            session,
            email=body.email,
            password=body.password,
            secret=studio.settings.resolved_secret,
        )
    )
    response = JSONResponse(
        {
            "account_id": started.record.account_id,
            "email": accounts.normalise_email(body.email),
            "csrf_token": started.record.csrf_token,
        }
    )
    sessions.set_session_cookie(response, request, started.token)
    return response


@router.delete("/session", status_code=204)
def sign_out(caller: ApiWriter, request: Request, studio: StudioDep) -> Response:
    token = request.cookies.get(sessions.COOKIE)
    secret = studio.settings.resolved_secret
    studio.db.transact(lambda session: sessions.end_session(session, token=token, secret=secret))
    response = Response(status_code=204)
    sessions.clear_session_cookie(response, request)
    return response


@router.get("/defaults")
def get_defaults(caller: CurrentSession, studio: StudioDep) -> dict[str, Any]:
    return describe_defaults(caller.account, studio.settings)


@router.put("/defaults")
def replace_defaults(
    caller: ApiWriter, studio: StudioDep, values: Any = Body(default=None)
) -> dict[str, Any]:
    account = studio.db.transact(
        lambda session: accounts.replace_defaults(
            session, account_id=caller.account.id, values=_object(values)
        )
    )
    return describe_defaults(account, studio.settings)


@router.patch("/defaults")
def merge_defaults(
    caller: ApiWriter, studio: StudioDep, values: Any = Body(default=None)
) -> dict[str, Any]:
    account = studio.db.transact(
        lambda session: accounts.merge_defaults(
            session, account_id=caller.account.id, values=_object(values)
        )
    )
    return describe_defaults(account, studio.settings)


def _object(values: Any) -> dict[str, Any]:
    if not isinstance(values, dict):
        raise ValidationFailed("body", "send a JSON object of defaults")
    return values
