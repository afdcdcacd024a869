"""Webhook endpoints of the signed-in account, as JSON (session and CSRF, like /keys).

The agent key reads one thing here: the secret that signs a render's own webhook_url.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from fvs.accounts.deps import ApiWriter, CurrentAccount
from fvs.deps import ReadSession, StudioDep, WriteSession
from fvs.errors import error_responses
from fvs.keys.deps import AgentDep
from fvs.webhooks import service as webhooks
from fvs.webhooks.schemas import (
    CreateEndpoint,
    DeliveryList,
    DeliveryOut,
    EndpointList,
    EndpointOut,
    EndpointWithSecret,
    RenderSecret,
    TestEventOut,
    WebhookSettingsIn,
    WebhookSettingsOut,
)

router = APIRouter(prefix="/api/account/webhooks", tags=["account"])
DeliveryId = Annotated[int, Path(ge=1, le=2**31 - 1)]
agent_router = APIRouter(prefix="/api/agent/webhooks", tags=["agent"])


@router.get("")
def list_endpoints(account: CurrentAccount, session: ReadSession) -> EndpointList:
    found = webhooks.list_endpoints(session, account_id=account.id)
    return EndpointList(endpoints=[EndpointOut.of(e) for e in found])


@router.post("", status_code=201)
def create_endpoint(
    body: CreateEndpoint, caller: ApiWriter, session: WriteSession, studio: StudioDep
) -> EndpointWithSecret:
    endpoint = webhooks.create_endpoint(
        session,
        account_id=caller.account.id,
        url=body.url,
        events=body.events,
        settings=studio.settings,
    )
    assert endpoint.secret is not None
    return EndpointWithSecret(endpoint=EndpointOut.of(endpoint), secret=endpoint.secret)


@router.get("/settings")
def get_settings(
    account: CurrentAccount, session: WriteSession, studio: StudioDep
) -> WebhookSettingsOut:
    found = webhooks.account_settings(session, account_id=account.id)
    return WebhookSettingsOut(
        low_balance_threshold=found.low_balance_threshold,
        default_low_balance_threshold=studio.settings.webhook_low_balance_credits,
    )


@router.put("/settings")
def put_settings(
    body: WebhookSettingsIn, caller: ApiWriter, session: WriteSession, studio: StudioDep
) -> WebhookSettingsOut:
    found = webhooks.set_low_balance_threshold(
        session, account_id=caller.account.id, threshold=body.low_balance_threshold
    )
    return WebhookSettingsOut(
        low_balance_threshold=found.low_balance_threshold,
        default_low_balance_threshold=studio.settings.webhook_low_balance_credits,
    )


@router.get("/render-secret")
def get_render_secret(account: CurrentAccount, session: WriteSession) -> RenderSecret:
    # Made on first read, so a GET writes; reading it changes nothing a caller can see.
    return RenderSecret(secret=webhooks.render_secret(session, account_id=account.id))


@agent_router.get(
    "/render-secret",
    summary="The secret that signs a render's webhooks",
    description=(
        "Webhooks sent to a render's own `webhook_url` are signed (Standard Webhooks: "
        "`webhook-id`, `webhook-timestamp`, `webhook-signature`) with this account-wide "
        "`whsec_` secret; verify each delivery with it, e.g. with the `standardwebhooks` "
        "package. Endpoints managed in Settings have secrets of their own."
    ),
    responses={
        200: {
            "description": "The account's render webhook secret.",
            "content": {
                "application/json": {
                    "example": {"secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
                }
            },
        },
        **error_responses(401),
    },
)
def agent_render_secret(principal: AgentDep, session: WriteSession) -> RenderSecret:
    return RenderSecret(secret=webhooks.render_secret(session, account_id=principal.account_id))


@router.get("/{endpoint_id}")
def get_endpoint(endpoint_id: str, account: CurrentAccount, session: ReadSession) -> EndpointOut:
    found = webhooks.get_endpoint(session, account_id=account.id, endpoint_id=endpoint_id)
    return EndpointOut.of(found)


@router.post("/{endpoint_id}/rotate")
def rotate(endpoint_id: str, caller: ApiWriter, session: WriteSession) -> EndpointWithSecret:
    endpoint = webhooks.rotate_secret(
        session, account_id=caller.account.id, endpoint_id=endpoint_id
    )
    assert endpoint.secret is not None
    return EndpointWithSecret(endpoint=EndpointOut.of(endpoint), secret=endpoint.secret)


@router.post("/{endpoint_id}/disable")
def disable(endpoint_id: str, caller: ApiWriter, session: WriteSession) -> EndpointOut:
    return EndpointOut.of(
        webhooks.set_enabled(
            session, account_id=caller.account.id, endpoint_id=endpoint_id, enabled=False
        )
    )


@router.post("/{endpoint_id}/enable")
def enable(endpoint_id: str, caller: ApiWriter, session: WriteSession) -> EndpointOut:
    return EndpointOut.of(
        webhooks.set_enabled(
            session, account_id=caller.account.id, endpoint_id=endpoint_id, enabled=True
        )
    )


@router.delete("/{endpoint_id}", status_code=204)
def delete(endpoint_id: str, caller: ApiWriter, session: WriteSession) -> Response:
    webhooks.delete_endpoint(session, account_id=caller.account.id, endpoint_id=endpoint_id)
    return Response(status_code=204)


@router.post("/{endpoint_id}/test", status_code=202)
def send_test(endpoint_id: str, caller: ApiWriter, session: WriteSession) -> TestEventOut:
    event = webhooks.send_test_event(session, account_id=caller.account.id, endpoint_id=endpoint_id)
    return TestEventOut(event_id=event.id)


@router.get("/{endpoint_id}/deliveries")
def deliveries(endpoint_id: str, account: CurrentAccount, session: ReadSession) -> DeliveryList:
    found = webhooks.endpoint_log(session, account_id=account.id, endpoint_id=endpoint_id)
    return DeliveryList(deliveries=[DeliveryOut.of(d, e, a) for d, e, a in found])


@router.post("/{endpoint_id}/deliveries/{delivery_id}/resend", status_code=202)
def resend(
    endpoint_id: str,
    delivery_id: DeliveryId,
    caller: ApiWriter,
    session: WriteSession,
    studio: StudioDep,
) -> DeliveryOut:
    delivery = webhooks.resend(
        session,
        account_id=caller.account.id,
        endpoint_id=endpoint_id,
        delivery_id=delivery_id,
        settings=studio.settings,
    )
    found = webhooks.endpoint_log(session, account_id=caller.account.id, endpoint_id=endpoint_id)
    for d, e, a in found:
        if d.id == delivery.id:
            return DeliveryOut.of(d, e, a)
    raise AssertionError("the delivery just resent is in its endpoint's log")
