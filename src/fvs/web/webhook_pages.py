"""Settings → Webhooks: endpoints, their secrets, deliveries, and the low-balance mark.

Plain forms like the rest of Settings; a new or rotated secret is rendered into the
response that made it, never redirected, since it is shown only that once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from fvs.accounts.deps import FormWriter, PageRoute, PageSession, SignedIn
from fvs.deps import ReadSession, StudioDep, WriteSession, attempt
from fvs.errors import AppError, ValidationFailed
from fvs.web import templates
from fvs.webhooks import catalog
from fvs.webhooks import service as webhooks
from fvs.webhooks.schemas import DeliveryOut, EndpointOut

router = APIRouter(route_class=PageRoute, include_in_schema=False)
FormText = Annotated[str, Form()]
FormList = Annotated[list[str] | None, Form()]
NOTICES = {
    "disable": "The endpoint was disabled; nothing is sent to it until you enable it.",
    "enable": "The endpoint was enabled.",
    "delete": "The endpoint was deleted.",
    "test": "A test event is on its way; its delivery shows below in a moment.",
    "resend": "The delivery will be sent again shortly.",
    "threshold": "The low-balance threshold was saved.",
}
SIMPLE_ACTIONS = ("disable", "enable", "delete", "test")


@router.get("/settings/webhooks")
def webhooks_page(
    request: Request,
    caller: PageSession,
    session: ReadSession,
    studio: StudioDep,
    done: str = "",
    show: str = "",
) -> Response:
    return _page(request, session, caller, studio, notice=NOTICES.get(done), show=show)


@router.post("/settings/webhooks")
def create_endpoint(
    request: Request,
    caller: FormWriter,
    session: WriteSession,
    studio: StudioDep,
    url: FormText = "",
    events: FormList = None,
) -> Response:
    def create() -> Any:
        return webhooks.create_endpoint(
            session,
            account_id=caller.account.id,
            url=url.strip(),
            events=events or [],
            settings=studio.settings,
        )

    return _settle(request, session, caller, studio, create)


@router.post("/settings/webhooks/threshold")
def save_threshold(
    request: Request,
    caller: FormWriter,
    session: WriteSession,
    studio: StudioDep,
    threshold: FormText = "",
) -> Response:
    def save() -> Any:
        value = _threshold(threshold)
        return webhooks.set_low_balance_threshold(
            session, account_id=caller.account.id, threshold=value
        )

    return _settle(request, session, caller, studio, save, redirect="done=threshold")


@router.post("/settings/webhooks/{endpoint_id}/rotate")
def rotate(
    request: Request, endpoint_id: str, caller: FormWriter, session: WriteSession, studio: StudioDep
) -> Response:
    def rotated() -> Any:
        return webhooks.rotate_secret(
            session, account_id=caller.account.id, endpoint_id=endpoint_id
        )

    return _settle(request, session, caller, studio, rotated)


@router.post("/settings/webhooks/{endpoint_id}/deliveries/{delivery_id}/resend")
def resend(
    request: Request,
    endpoint_id: str,
    delivery_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    caller: FormWriter,
    session: WriteSession,
    studio: StudioDep,
) -> Response:
    def again() -> Any:
        return webhooks.resend(
            session,
            account_id=caller.account.id,
            endpoint_id=endpoint_id,
            delivery_id=delivery_id,
            settings=studio.settings,
        )

    done = f"done=resend&show={endpoint_id}"
    return _settle(request, session, caller, studio, again, redirect=done)


@router.post("/settings/webhooks/{endpoint_id}/{action}")
def act(
    request: Request,
    endpoint_id: str,
    action: str,
    caller: FormWriter,
    session: WriteSession,
    studio: StudioDep,
) -> Response:
    if action not in SIMPLE_ACTIONS:
        return _page(request, session, caller, studio, error="no such action", status=404)
    account_id = caller.account.id
    changes = {
        "disable": lambda: webhooks.set_enabled(
            session, account_id=account_id, endpoint_id=endpoint_id, enabled=False
        ),
        "enable": lambda: webhooks.set_enabled(
            session, account_id=account_id, endpoint_id=endpoint_id, enabled=True
        ),
        "delete": lambda: webhooks.delete_endpoint(
            session, account_id=account_id, endpoint_id=endpoint_id
        ),
        "test": lambda: webhooks.send_test_event(
            session, account_id=account_id, endpoint_id=endpoint_id
        ),
    }
    show = "" if action == "delete" else f"&show={endpoint_id}"
    done = f"done={action}{show}"
    return _settle(request, session, caller, studio, changes[action], redirect=done)


def _settle(
    request: Request,
    session: Session,
    caller: SignedIn,
    studio: StudioDep,
    change: Callable[[], Any],
    *,
    redirect: str | None = None,
) -> Response:
    """Make one form's change: on refusal, the page with its message; then a redirect with
    the query `redirect`, or, where it is None, the page showing the new secret (once)."""
    try:
        made = attempt(session, change)
    except AppError as exc:
        return _page(request, session, caller, studio, error=exc.message, status=exc.status_code)
    if redirect is None:
        return _page(request, session, caller, studio, secret=(made.id, made.secret))
    return RedirectResponse(f"/settings/webhooks?{redirect}", status_code=303)


def _threshold(raw: str) -> int | None:
    if not raw.strip():
        return None
    if not re.fullmatch(r"[0-9]{1,12}", raw.strip()):
        raise ValidationFailed("threshold", "a whole number of credits, or blank for the default")
    return int(raw.strip())


def _page(
    request: Request,
    session: Session,
    caller: SignedIn,
    studio: StudioDep,
    *,
    notice: str | None = None,
    error: str | None = None,
    secret: tuple[str, str | None] | None = None,
    show: str = "",
    status: int = 200,
) -> Response:
    account_id = caller.account.id
    endpoints = webhooks.list_endpoints(session, account_id=account_id)
    logs = {
        e.id: [
            DeliveryOut.of(d, ev, a).model_dump()
            for d, ev, a in webhooks.endpoint_log(
                session, account_id=account_id, endpoint_id=e.id, limit=20
            )
        ]
        for e in endpoints
        if e.id == show or not show
    }
    settings_row = webhooks.existing_settings(session, account_id=account_id)
    context = {
        "csrf_token": caller.csrf_token,
        "endpoints": [EndpointOut.of(e).model_dump() for e in endpoints],
        "logs": logs,
        "event_types": catalog.EVENT_TYPES,
        "new_secret": secret,
        "notice": notice,
        "error": error,
        "threshold": settings_row.low_balance_threshold if settings_row else None,
        "default_threshold": studio.settings.webhook_low_balance_credits,
        "disabled": webhooks.disabled_endpoints(session, account_id=account_id),
    }
    return templates.page(request, "webhooks.html", context, status=status)
