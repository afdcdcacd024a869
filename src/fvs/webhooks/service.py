"""Webhook endpoints of an account and of a render: create, rotate, enable, delete, test."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from fvs.config import Settings
from fvs.errors import Conflict, NotFound, ValidationFailed
from fvs.models import WebhookAccount, WebhookDelivery, WebhookEndpoint, WebhookEvent
from fvs.models.base import utcnow
from fvs.webhooks import catalog, repository
from fvs.webhooks.addresses import check_url
from fvs.webhooks.signing import new_secret

ROTATION_OVERLAP = timedelta(hours=24)
USER_DISABLED = "disabled by the account"


def create_endpoint(
    session: Session, *, account_id: str, url: str, events: list[str], settings: Settings
) -> WebhookEndpoint:
    """A new account endpoint with a fresh secret (its caller shows the secret once)."""
    check_url(url, allow_private=settings.webhook_allow_private, field="url")
    endpoint = WebhookEndpoint(
        account_id=account_id,
        url=url,
        events=_events(events, field="events"),
        secret=new_secret(),
        enabled=True,
    )
    session.add(endpoint)
    session.flush()
    return endpoint


def add_render_endpoint(
    session: Session,
    *,
    account_id: str,
    project_id: str,
    url: str,
    events: list[str] | None,
) -> WebhookEndpoint:
    """A render's own webhook_url (checked by check_render_webhook), signed with the
    account's render secret; the sender checks the URL again before each attempt."""
    render_secret(session, account_id=account_id)
    endpoint = WebhookEndpoint(
        account_id=account_id,
        project_id=project_id,
        url=url,
        events=_events(events or [], field="webhook_events"),
        secret=None,
        enabled=True,
    )
    session.add(endpoint)
    return endpoint


def check_render_webhook(url: str, *, settings: Settings) -> None:
    """Refuse a render's webhook_url before anything is held or created (422 naming it)."""
    check_url(url, allow_private=settings.webhook_allow_private, field="webhook_url")


def _events(events: list[str], *, field: str) -> list[str]:
    try:
        return catalog.check_event_types(events)
    except ValueError as exc:
        raise ValidationFailed(field, str(exc)) from None


def account_settings(session: Session, *, account_id: str) -> WebhookAccount:
    """The account's webhook settings row, made on first use."""
    found = repository.account_settings(session, account_id)
    if found is None:
        found = WebhookAccount(
            account_id=account_id, render_secret=new_secret(), low_balance_notified=False
        )
        session.add(found)
        session.flush()
    return found


def existing_settings(session: Session, *, account_id: str) -> WebhookAccount | None:
    """The account's webhook settings row, or None before it was first needed."""
    return repository.account_settings(session, account_id)


def render_secret(session: Session, *, account_id: str) -> str:
    """The secret that signs webhooks sent to a render's own webhook_url."""
    return account_settings(session, account_id=account_id).render_secret


def set_low_balance_threshold(
    session: Session, *, account_id: str, threshold: int | None
) -> WebhookAccount:
    """Send wallet.low_balance when the available balance falls below this (None: default)."""
    found = account_settings(session, account_id=account_id)
    found.low_balance_threshold = threshold
    found.low_balance_notified = False
    return found


def list_endpoints(session: Session, *, account_id: str) -> list[WebhookEndpoint]:
    """The account's endpoints, oldest first (render endpoints are not listed)."""
    return list(repository.account_endpoints(session, account_id))


def disabled_endpoints(session: Session, *, account_id: str) -> list[WebhookEndpoint]:
    """The account's endpoints the studio disabled after failing (Settings says so)."""
    return [
        e
        for e in repository.account_endpoints(session, account_id)
        if not e.enabled and e.disabled_reason and e.disabled_reason != USER_DISABLED
    ]


def get_endpoint(session: Session, *, account_id: str, endpoint_id: str) -> WebhookEndpoint:
    """One of the account's endpoints, or 404 (another account's is not found either)."""
    found = repository.get_endpoint(session, endpoint_id)
    if found is None or found.account_id != account_id or found.project_id is not None:
        raise NotFound(f"no webhook endpoint {endpoint_id}")
    return found


def rotate_secret(
    session: Session, *, account_id: str, endpoint_id: str, now: datetime | None = None
) -> WebhookEndpoint:
    """A new secret; the old one keeps signing alongside it for 24 hours."""
    endpoint = get_endpoint(session, account_id=account_id, endpoint_id=endpoint_id)
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_until = (now or utcnow()) + ROTATION_OVERLAP
    endpoint.secret = new_secret()
    return endpoint


def set_enabled(
    session: Session, *, account_id: str, endpoint_id: str, enabled: bool
) -> WebhookEndpoint:
    """Disable or enable an endpoint; enabling clears why it was disabled."""
    endpoint = get_endpoint(session, account_id=account_id, endpoint_id=endpoint_id)
    endpoint.enabled = enabled
    if enabled:
        endpoint.disabled_reason = None
        endpoint.failing_since = None
    else:
        endpoint.disabled_reason = USER_DISABLED
    return endpoint


def delete_endpoint(session: Session, *, account_id: str, endpoint_id: str) -> None:
    """Delete an endpoint with its deliveries and their log."""
    endpoint = get_endpoint(session, account_id=account_id, endpoint_id=endpoint_id)
    repository.delete_endpoint(session, endpoint)


def send_test_event(session: Session, *, account_id: str, endpoint_id: str) -> WebhookEvent:
    """Queue a webhook.test event for this endpoint alone."""
    endpoint = get_endpoint(session, account_id=account_id, endpoint_id=endpoint_id)
    if not endpoint.enabled:
        raise Conflict("this endpoint is disabled; enable it first")
    event = WebhookEvent(
        account_id=account_id,
        type=catalog.WEBHOOK_TEST,
        endpoint_id=endpoint.id,
        facts={"endpoint_id": endpoint.id, "message": "a test event from Future Video Studio"},
        fanned_out=False,
    )
    session.add(event)
    session.flush()
    return event


def endpoint_log(
    session: Session, *, account_id: str, endpoint_id: str, limit: int = 100
) -> list[tuple[WebhookDelivery, WebhookEvent, list[dict[str, object]]]]:
    """The endpoint's latest deliveries, each with its attempts (time, status, latency, error)."""
    get_endpoint(session, account_id=account_id, endpoint_id=endpoint_id)
    attempts: dict[int, list[dict[str, object]]] = {}
    for attempt, _d, _e in repository.attempts_of_endpoint(session, endpoint_id, limit * 4):
        attempts.setdefault(attempt.delivery_id, []).append(
            {
                "attempted_at": attempt.attempted_at.isoformat(),
                "status_code": attempt.status_code,
                "latency_ms": attempt.latency_ms,
                "error": attempt.error,
            }
        )
    return [
        (delivery, event, attempts.get(delivery.id, []))
        for delivery, event in repository.deliveries_of_endpoint(session, endpoint_id, limit)
    ]


def resend(
    session: Session,
    *,
    account_id: str,
    endpoint_id: str,
    delivery_id: int,
    settings: Settings,
) -> WebhookDelivery:
    """Send a delivery again now, with a fresh retry window, whatever became of it."""
    endpoint = get_endpoint(session, account_id=account_id, endpoint_id=endpoint_id)
    delivery = repository.get_delivery(session, delivery_id)
    if delivery is None or delivery.endpoint_id != endpoint.id:
        raise NotFound(f"no delivery {delivery_id} for this endpoint")
    if not endpoint.enabled:
        raise Conflict("this endpoint is disabled; enable it first")
    now = utcnow()
    delivery.state = "pending"
    delivery.next_attempt_at = now
    delivery.retry_until = now + timedelta(hours=settings.webhook_retry_hours)
    delivery.lease_until = None
    delivery.lease_token = None
    return delivery
