"""Bodies of the webhook endpoints API."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from fvs.models import WebhookDelivery, WebhookEndpoint, WebhookEvent


class CreateEndpoint(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=2000)
    # Event types to send; empty: all of them.
    events: list[Annotated[str, Field(max_length=40)]] = Field(default_factory=list, max_length=20)


class WebhookSettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Send wallet.low_balance below this many available credits; null: the studio's default.
    low_balance_threshold: int | None = Field(default=None, ge=0, le=10**12)


class EndpointOut(BaseModel):
    id: str
    url: str
    events: list[str]
    enabled: bool
    disabled_reason: str | None
    failing_since: str | None
    previous_secret_until: str | None
    created_at: str

    @classmethod
    def of(cls, endpoint: WebhookEndpoint) -> EndpointOut:
        return cls(
            id=endpoint.id,
            url=endpoint.url,
            events=list(endpoint.events),
            enabled=endpoint.enabled,
            disabled_reason=endpoint.disabled_reason,
            failing_since=_iso(endpoint.failing_since),
            previous_secret_until=_iso(endpoint.previous_secret_until),
            created_at=endpoint.created_at.isoformat(),
        )


class EndpointWithSecret(BaseModel):
    """A new or rotated endpoint and its secret, shown this once."""

    endpoint: EndpointOut
    secret: str


class EndpointList(BaseModel):
    endpoints: list[EndpointOut]


class AttemptOut(BaseModel):
    attempted_at: str
    status_code: int | None
    latency_ms: int
    error: str | None


class DeliveryOut(BaseModel):
    id: int
    event_id: str
    event_type: str
    state: str
    attempt_count: int
    next_attempt_at: str | None
    delivered_at: str | None
    attempts: list[AttemptOut]

    @classmethod
    def of(
        cls, delivery: WebhookDelivery, event: WebhookEvent, attempts: list[dict[str, object]]
    ) -> DeliveryOut:
        return cls(
            id=delivery.id,
            event_id=event.id,
            event_type=event.type,
            state=delivery.state,
            attempt_count=delivery.attempts,
            next_attempt_at=_iso(delivery.next_attempt_at) if delivery.state == "pending" else None,
            delivered_at=_iso(delivery.delivered_at),
            attempts=[AttemptOut.model_validate(a) for a in attempts],
        )


class DeliveryList(BaseModel):
    deliveries: list[DeliveryOut]


class WebhookSettingsOut(BaseModel):
    low_balance_threshold: int | None
    default_low_balance_threshold: int


class RenderSecret(BaseModel):
    """The secret that signs webhooks sent to a render's own webhook_url."""

    secret: str


class TestEventOut(BaseModel):
    event_id: str


def _iso(value: object) -> str | None:
    return value.isoformat() if value is not None else None  # type: ignore[attr-defined]
