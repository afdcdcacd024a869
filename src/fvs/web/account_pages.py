"""The account pages: sign up, log in, log out, and settings (keys, password, defaults).

Plain HTML forms, no client framework. Every post carries a hidden csrf_token;
a missing session on a page redirects to /login (see PageRoute).
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from fvs.accounts import cookies, sessions
from fvs.accounts import service as accounts
from fvs.accounts.deps import (
    FormWriter,
    MaybeSignedIn,
    PageRoute,
    PageSession,
    PreLoginForm,
    SignedIn,
    SignInGuardDep,
    client_address,
)
from fvs.accounts.emails import MAX_EMAIL
from fvs.accounts.throttle import SignInGuard
from fvs.deps import ReadSession, StudioDep, WriteSession, attempt
from fvs.errors import AppError, ValidationFailed
from fvs.keys import service as keys
from fvs.options.defaults import DEFAULTABLE, STUDIO_DEFAULTS, choices
from fvs.studio import Studio
from fvs.web import templates
from fvs.web.wallet import wallet_summary
from fvs.webhooks import service as webhooks

router = APIRouter(route_class=PageRoute, include_in_schema=False)
FormText = Annotated[str, Form()]
NOTICES = {
    "revoked": "The key was revoked; it stops working at once.",
    "defaults": "Your defaults were saved.",
    "password": "Your password was changed; other browsers were signed out.",
}
LABELS = {
    "project_mode": "Project mode",
    "video_model": "Video model",
    "video_resolution": "Video resolution",
    "image_resolution": "Keyframe resolution",
    "aspect_ratio": "Aspect ratio",
    "stage_voice_briefs_enabled": "Voice briefs",
    "planner_model": "Planner model",
    "image_model": "Keyframe model",
    "tts_model": "Voice model",
    "music_model": "Music model",
    "stage_behaviour": "After storyboarding",
    "visual_style_preset": "Visual style",
    "transition": "Transition between shots",
    "transition_seconds": "Transition length (s)",
}


# --- signing up, in and out -------------------------------------------------------------


@router.get("/signup")
def signup_page(request: Request, signed_in: MaybeSignedIn) -> Response:
    if signed_in is not None:
        return RedirectResponse("/settings", status_code=303)
    return _auth_page(request, "signup")


@router.post("/signup")
def signup(
    request: Request,
    session: WriteSession,
    studio: StudioDep,
    guard: SignInGuardDep,
    form: PreLoginForm,
) -> Response:
    with_credits = functools.partial(
        accounts.sign_up, signup_credits=studio.settings.signup_credits
    )
    begin = _guarded(guard, client_address(request), with_credits)
    return _start_session(request, session, studio, "signup", begin, form.email, form.password)


@router.get("/login")
def login_page(request: Request, signed_in: MaybeSignedIn) -> Response:
    if signed_in is not None:
        return RedirectResponse("/settings", status_code=303)
    return _auth_page(request, "login")


@router.post("/login")
def login(
    request: Request,
    session: WriteSession,
    studio: StudioDep,
    guard: SignInGuardDep,
    form: PreLoginForm,
) -> Response:
    begin = _guarded(guard, client_address(request), accounts.sign_in)
    return _start_session(request, session, studio, "login", begin, form.email, form.password)


def _start_session(
    request: Request,
    session: Session,
    studio: Studio,
    form: str,
    begin: Callable[..., sessions.StartedSession],
    email: str,
    password: str,
) -> Response:
    """Sign up or sign in; on success into /settings, else the form again with the reason."""
    secret = studio.settings.resolved_secret
    try:
        started = attempt(
            session, lambda: begin(session, email=email, password=password, secret=secret)
        )
    except AppError as exc:
        # Echo what was typed, but never more than an address can hold.
        echoed = email[:MAX_EMAIL]
        page = _auth_page(request, form, email=echoed, error=exc.message, status=_status(exc))
        page.headers.update(getattr(exc, "headers", {}))  # a 429's Retry-After
        return page
    return _into_settings(request, started.token)


def _guarded(
    guard: SignInGuard, address: str, begin: Callable[..., sessions.StartedSession]
) -> Callable[..., sessions.StartedSession]:
    """Sign-up or sign-in counted against the attempt limits, hashing in one of the few slots."""

    def run(session: Session, *, email: str, password: str, secret: bytes) -> Any:
        guard.count_attempt(email=email, address=address)
        with guard.hashing_slot():
            return begin(session, email=email, password=password, secret=secret)

    return run


@router.post("/logout")
def logout(
    request: Request, caller: FormWriter, session: WriteSession, studio: StudioDep
) -> Response:
    token = request.cookies.get(cookies.COOKIE)
    sessions.end_session(session, token=token, secret=studio.settings.resolved_secret)
    response = RedirectResponse("/login", status_code=303)
    cookies.clear_session_cookie(response, request)
    return response


# --- settings -------------------------------------------------------------------------


@router.get("/settings")
def settings_page(
    request: Request, caller: PageSession, session: ReadSession, done: str = ""
) -> Response:
    return _settings_page(request, session, caller, notice=NOTICES.get(done))


@router.post("/settings/keys")
def create_key(
    request: Request,
    caller: FormWriter,
    session: WriteSession,
    studio: StudioDep,
    name: FormText = "",
    expires_in_days: FormText = "",
) -> Response:
    def issue() -> keys.IssuedKey:
        expires_at = keys.expiry_from(expires_at=None, expires_in_days=_days(expires_in_days))
        return keys.issue_key(
            session,
            account_id=caller.account.id,
            name=name,
            secret=studio.settings.resolved_secret,
            expires_at=expires_at,
        )

    try:
        issued = attempt(session, issue)
    except AppError as exc:
        return _settings_page(request, session, caller, error=_say(exc), status=_status(exc))
    # Rendered directly, not redirected: the secret exists only in this response.
    return _settings_page(request, session, caller, new_key=issued)


@router.post("/settings/keys/{key_id}/revoke")
def revoke_key(
    request: Request, key_id: str, caller: FormWriter, session: WriteSession
) -> Response:
    try:
        attempt(
            session,
            lambda: keys.revoke_key(session, key_id=key_id, account_id=caller.account.id),
        )
    except AppError as exc:
        return _settings_page(request, session, caller, error=_say(exc), status=_status(exc))
    return RedirectResponse("/settings?done=revoked", status_code=303)


class DefaultsForm(BaseModel):
    """The settings page's defaults form: one text field per account default, blank = unset."""

    project_mode: str = ""
    video_model: str = ""
    video_resolution: str = ""
    image_resolution: str = ""
    aspect_ratio: str = ""
    stage_voice_briefs_enabled: str = ""
    planner_model: str = ""
    image_model: str = ""
    tts_model: str = ""
    music_model: str = ""
    stage_behaviour: str = ""
    visual_style_preset: str = ""
    transition: str = ""
    transition_seconds: str = ""


@router.post("/settings/defaults")
def save_defaults(
    request: Request,
    caller: FormWriter,
    session: WriteSession,
    form: Annotated[DefaultsForm, Form()],
) -> Response:
    raw = form.model_dump()
    values = {f: _default_value(f, raw.get(f)) for f in DEFAULTABLE}
    try:
        attempt(
            session,
            lambda: accounts.replace_defaults(session, account_id=caller.account.id, values=values),
        )
    except AppError as exc:
        return _settings_page(request, session, caller, error=_say(exc), status=_status(exc))
    return RedirectResponse("/settings?done=defaults", status_code=303)


@router.post("/settings/password")
def change_password(
    request: Request,
    caller: FormWriter,
    session: WriteSession,
    current_password: FormText = "",
    new_password: FormText = "",
) -> Response:
    def change() -> object:
        return accounts.change_password(
            session,
            account_id=caller.account.id,
            current=current_password,
            new=new_password,
            keep_session_id=caller.session_id,
        )

    try:
        attempt(session, change)
    except AppError as exc:
        return _settings_page(request, session, caller, error=_say(exc), status=_status(exc))
    return RedirectResponse("/settings?done=password", status_code=303)


# --- rendering ------------------------------------------------------------------------


def _auth_page(
    request: Request, page: str, *, email: str = "", error: str | None = None, status: int = 200
) -> Response:
    """The sign-up or login form, with a double-submit CSRF token reused from its cookie."""
    token = request.cookies.get(cookies.CSRF_COOKIE) or secrets.token_urlsafe(32)
    context = {"page": page, "email": email, "error": error, "csrf_token": token}
    response = templates.page(request, "auth.html", context, status=status)
    if request.cookies.get(cookies.CSRF_COOKIE) != token:
        cookies.set_csrf_cookie(response, request, token)
    return response


def _into_settings(request: Request, token: str) -> Response:
    response = RedirectResponse("/settings", status_code=303)
    cookies.set_session_cookie(response, request, token)
    return response


def _settings_page(
    request: Request,
    session: Session,
    caller: SignedIn,
    *,
    notice: str | None = None,
    error: str | None = None,
    new_key: keys.IssuedKey | None = None,
    status: int = 200,
) -> Response:
    account = accounts.get_account(session, caller.account.id)
    found = [
        keys.describe_key(k).model_dump(mode="json")
        for k in keys.list_keys(session, account_id=account.id)
    ]
    wallet = wallet_summary(session, account.id)
    context = {
        "wallet": wallet,
        "email": account.email,
        "csrf_token": caller.csrf_token,
        "keys": found,
        "new_key": new_key,
        "notice": notice,
        "error": error,
        "defaults": _defaults_form(account.defaults or {}),
        "disabled_webhooks": webhooks.disabled_endpoints(session, account_id=account.id),
    }
    # The page may hold a fresh key: page() keeps it out of every cache.
    return templates.page(request, "settings.html", context, status=status)


def _defaults_form(saved: dict[str, Any]) -> list[dict[str, Any]]:
    """One select per account default: its choices from the registry, and what is saved."""
    fields = []
    for field in DEFAULTABLE:
        studio_value = STUDIO_DEFAULTS[field]
        saved_value = saved.get(field)
        if isinstance(studio_value, bool):
            studio_value = "on" if studio_value else "off"
            saved_value = None if saved_value is None else ("on" if saved_value else "off")
        elif isinstance(studio_value, float):
            studio_value = f"{studio_value:g}"
            saved_value = None if saved_value is None else f"{saved_value:g}"
        fields.append(
            {
                "name": field,
                "label": LABELS.get(field, field),
                "choices": choices(field),
                "studio": studio_value,
                "saved": saved_value,
            }
        )
    return fields


def _default_value(field: str, raw: object) -> Any:
    """A form value as a saved default: blank keeps the studio's, on/off are booleans."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    if isinstance(STUDIO_DEFAULTS[field], bool):
        return raw == "on"
    if isinstance(STUDIO_DEFAULTS[field], float):
        try:
            return float(raw)
        except ValueError:
            return raw.strip()  # validation names the field
    return raw.strip()


def _days(raw: str) -> int | None:
    if not raw.strip():
        return None
    if not raw.strip().isdigit():
        raise ValidationFailed("expires_in_days", "the expiry must be a whole number of days")
    return int(raw)


def _say(exc: AppError) -> str:
    return f"{exc.field}: {exc.message}" if exc.field else exc.message


def _status(exc: AppError) -> int:
    """A form's failure is a 400 page; a missing key stays 404, too many tries 429, busy 503."""
    return exc.status_code if exc.status_code in (404, 429) or exc.status_code >= 500 else 400
