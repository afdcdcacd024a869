"""At-least-once delivery: fan events out, lease due deliveries, send, record, back off.

Every step is its own short transaction; the HTTP request runs outside any. A sender
that dies holding a lease loses it after FVS_WEBHOOK_LEASE_SECONDS, and the delivery
is sent again (receivers dedupe on webhook-id).
"""

from __future__ import annotations

import json
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from fvs.config import Settings
from fvs.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from fvs.models.base import utcnow
from fvs.webhooks import repository, signing
from fvs.webhooks.addresses import UnsafeUrl, check_url
from fvs.webhooks.sending import Outcome, post

# Builds a render event's data (the render's status body) from the event's project.
Describe = Callable[[Session, WebhookEvent], dict[str, Any]]
MAX_BACKOFF_SECONDS = 3600.0


@dataclass(frozen=True)
class Claimed:
    """One leased delivery, with everything its attempt needs outside the database."""

    delivery_id: int
    token: str
    url: str
    msg_id: str
    body: str
    signing_secrets: tuple[str, ...]


def has_work(session: Session) -> bool:
    """Whether a pass would do anything: read-only, so an idle sender never takes a write lock."""
    return repository.has_work(session, utcnow())


def fan_out(session: Session, *, describe: Describe, settings: Settings, limit: int = 100) -> int:
    """Freeze each new event's body and add a delivery per endpoint that wants it."""
    events = repository.unsent_events(session, limit)
    now = utcnow()
    window = timedelta(hours=settings.webhook_retry_hours)
    for event in events:
        if event.data is None:
            event.data = describe(session, event)
        for endpoint in _targets(session, event):
            repository.add_delivery(
                session,
                WebhookDelivery(
                    event_seq=event.seq,
                    endpoint_id=endpoint.id,
                    state="pending",
                    attempts=0,
                    next_attempt_at=now,
                    retry_until=now + window,
                ),
            )
        event.fanned_out = True
    return len(events)


def _targets(session: Session, event: WebhookEvent) -> list[WebhookEndpoint]:
    if event.endpoint_id is not None:  # a test event, for one endpoint
        endpoint = repository.get_endpoint(session, event.endpoint_id)
        return [endpoint] if endpoint is not None and endpoint.enabled else []
    return [
        e
        for e in repository.endpoints_for_event(session, event)
        if not e.events or event.type in e.events
    ]


def claim(session: Session, *, settings: Settings, limit: int = 20) -> list[Claimed]:
    """Lease due deliveries to this sender; no other sender attempts them meanwhile."""
    now = utcnow()
    until = now + timedelta(seconds=settings.webhook_lease_seconds)
    claimed = []
    for delivery_id in repository.due_delivery_ids(session, now, limit):
        token = secrets.token_hex(8)
        if repository.take_lease(session, delivery_id, now=now, until=until, token=token):
            found = _prepare(session, delivery_id, token, now)
            if found is not None:
                claimed.append(found)
    return claimed


def _prepare(session: Session, delivery_id: int, token: str, now: datetime) -> Claimed | None:
    delivery = repository.get_delivery(session, delivery_id)
    assert delivery is not None
    session.refresh(delivery)
    endpoint = repository.get_endpoint(session, delivery.endpoint_id)
    event = repository.get_event(session, delivery.event_seq)
    if endpoint is None or event is None or not endpoint.enabled:
        delivery.state = "failed"
        return None
    return Claimed(
        delivery_id=delivery.id,
        token=token,
        url=endpoint.url,
        msg_id=event.id,
        body=body_of(event),
        signing_secrets=_secrets(session, endpoint, now),
    )


def body_of(event: WebhookEvent) -> str:
    """The exact bytes every attempt of this event sends: {type, created_at, data}."""
    return json.dumps(
        {"type": event.type, "created_at": event.created_at.isoformat(), "data": event.data},
        separators=(",", ":"),
    )


def _secrets(session: Session, endpoint: WebhookEndpoint, now: datetime) -> tuple[str, ...]:
    if endpoint.secret is None:  # a render's own URL: the account's render secret
        found = repository.account_settings(session, endpoint.account_id)
        return (found.render_secret,) if found is not None else ()
    overlap = endpoint.previous_secret_until is not None and endpoint.previous_secret_until > now
    if overlap and endpoint.previous_secret:
        return (endpoint.secret, endpoint.previous_secret)
    return (endpoint.secret,)


def attempt(claimed: Claimed, *, settings: Settings) -> Outcome:
    """Check the URL again (DNS may have changed), then POST to the address just checked."""
    try:
        target = check_url(claimed.url, allow_private=settings.webhook_allow_private, field="url")
    except UnsafeUrl as exc:
        return Outcome(None, 0, f"refused: {exc.message}")
    headers = signing.headers(
        msg_id=claimed.msg_id,
        timestamp=utcnow(),
        body=claimed.body,
        signing_secrets=claimed.signing_secrets,
    )
    return post(
        target,
        body=claimed.body.encode(),
        headers=headers,
        timeout=settings.webhook_timeout_seconds,
    )


def record(session: Session, *, claimed: Claimed, outcome: Outcome, settings: Settings) -> None:
    """Log the attempt; mark the delivery delivered, due again later, or failed for good."""
    delivery = repository.get_delivery(session, claimed.delivery_id)
    if delivery is None:  # its endpoint was deleted meanwhile
        return
    now = utcnow()
    repository.add_attempt(
        session,
        WebhookAttempt(
            delivery_id=delivery.id,
            endpoint_id=delivery.endpoint_id,
            attempted_at=now,
            status_code=outcome.status_code,
            latency_ms=outcome.latency_ms,
            error=outcome.error,
        ),
    )
    if delivery.lease_token != claimed.token:
        return  # our lease ran out and another sender holds it now; it decides
    delivery.attempts += 1
    delivery.lease_until = None
    delivery.lease_token = None
    endpoint = repository.get_endpoint(session, delivery.endpoint_id)
    assert endpoint is not None
    if outcome.delivered:
        delivery.state = "delivered"
        delivery.delivered_at = now
        endpoint.failing_since = None
        return
    _retry_or_give_up(delivery, now=now, settings=settings)
    _note_failure(endpoint, now=now, settings=settings)


def backoff_seconds(attempts: int, *, base: float) -> float:
    """Exponential backoff with jitter: between half and all of base * 2^(attempts-1)."""
    ceiling = min(base * 2 ** (attempts - 1), MAX_BACKOFF_SECONDS)
    return ceiling * random.uniform(0.5, 1.0)


def _retry_or_give_up(delivery: WebhookDelivery, *, now: datetime, settings: Settings) -> None:
    delay = backoff_seconds(delivery.attempts, base=settings.webhook_retry_base_seconds)
    due = now + timedelta(seconds=delay)
    if due > delivery.retry_until:
        delivery.state = "failed"
    else:
        delivery.next_attempt_at = due


def _note_failure(endpoint: WebhookEndpoint, *, now: datetime, settings: Settings) -> None:
    """Start or extend the endpoint's failing streak; disable it after the limit."""
    if endpoint.failing_since is None:
        endpoint.failing_since = now
        return
    limit = timedelta(days=settings.webhook_disable_after_days)
    if endpoint.enabled and now - endpoint.failing_since >= limit:
        endpoint.enabled = False
        endpoint.disabled_reason = (
            f"disabled automatically: every attempt failed since "
            f"{endpoint.failing_since.isoformat(timespec='minutes')}"
        )


def purge_old(session: Session, *, settings: Settings) -> int:
    """Forget events older than FVS_WEBHOOK_KEEP_DAYS (long past their retries); how many."""
    cutoff = utcnow() - timedelta(days=settings.webhook_keep_days)
    return repository.purge_before(session, cutoff)
