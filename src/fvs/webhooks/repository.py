"""Webhook queries: endpoints, account settings, the outbox, deliveries and attempts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, delete, or_, select, update
from sqlalchemy.orm import Session

from fvs.models import (
    WebhookAccount,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)


def account_endpoints(session: Session, account_id: str) -> Sequence[WebhookEndpoint]:
    return session.scalars(
        select(WebhookEndpoint)
        .where(WebhookEndpoint.account_id == account_id, WebhookEndpoint.project_id.is_(None))
        .order_by(WebhookEndpoint.created_at)
    ).all()


def has_enabled_endpoint(session: Session, account_id: str) -> bool:
    found = session.scalar(
        select(WebhookEndpoint.id).where(
            WebhookEndpoint.account_id == account_id,
            WebhookEndpoint.project_id.is_(None),
            WebhookEndpoint.enabled.is_(True),
        )
    )
    return found is not None


def endpoints_for_event(session: Session, event: WebhookEvent) -> Sequence[WebhookEndpoint]:
    """The enabled endpoints an event may go to: the account's and its render's own."""
    own: ColumnElement[bool] = WebhookEndpoint.project_id.is_(None)
    if event.project_id is not None:
        own = or_(own, WebhookEndpoint.project_id == event.project_id)
    return session.scalars(
        select(WebhookEndpoint)
        .where(
            WebhookEndpoint.account_id == event.account_id,
            WebhookEndpoint.enabled.is_(True),
            own,
        )
        .order_by(WebhookEndpoint.created_at)
    ).all()


def get_endpoint(session: Session, endpoint_id: str) -> WebhookEndpoint | None:
    return session.get(WebhookEndpoint, endpoint_id)


def delete_endpoint(session: Session, endpoint: WebhookEndpoint) -> None:
    deliveries = select(WebhookDelivery.id).where(WebhookDelivery.endpoint_id == endpoint.id)
    session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(deliveries)))
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id))
    session.delete(endpoint)


def account_settings(session: Session, account_id: str) -> WebhookAccount | None:
    return session.get(WebhookAccount, account_id)


def unsent_events(session: Session, limit: int) -> Sequence[WebhookEvent]:
    """The oldest events not yet fanned out, locked (skipped by a concurrent sender)."""
    return session.scalars(
        select(WebhookEvent)
        .where(WebhookEvent.fanned_out.is_(False))
        .order_by(WebhookEvent.seq)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()


def add_delivery(session: Session, delivery: WebhookDelivery) -> None:
    session.add(delivery)


def due_delivery_ids(session: Session, now: datetime, limit: int) -> list[int]:
    """Pending deliveries whose time has come and that no sender holds, oldest event first."""
    return list(
        session.scalars(
            select(WebhookDelivery.id)
            .where(
                WebhookDelivery.state == "pending",
                WebhookDelivery.next_attempt_at <= now,
                or_(WebhookDelivery.lease_until.is_(None), WebhookDelivery.lease_until < now),
            )
            .order_by(WebhookDelivery.event_seq, WebhookDelivery.id)
            .limit(limit)
        ).all()
    )


def take_lease(
    session: Session, delivery_id: int, *, now: datetime, until: datetime, token: str
) -> bool:
    """Lease one delivery if it is still free; False when another sender took it first."""
    # A conditional UPDATE: on PostgreSQL the loser re-reads the row and matches nothing;
    # on SQLite writers are serialised (BEGIN IMMEDIATE).
    result = session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.state == "pending",
            or_(WebhookDelivery.lease_until.is_(None), WebhookDelivery.lease_until < now),
        )
        .values(lease_until=until, lease_token=token)
        .execution_options(synchronize_session=False)
    )
    return getattr(result, "rowcount", 0) == 1


def get_delivery(session: Session, delivery_id: int) -> WebhookDelivery | None:
    return session.get(WebhookDelivery, delivery_id)


def get_event(session: Session, seq: int) -> WebhookEvent | None:
    return session.get(WebhookEvent, seq)


def add_attempt(session: Session, attempt: WebhookAttempt) -> None:
    session.add(attempt)


def attempts_of_endpoint(
    session: Session, endpoint_id: str, limit: int
) -> Sequence[tuple[WebhookAttempt, WebhookDelivery, WebhookEvent]]:
    """The endpoint's latest attempts, newest first, with their delivery and event."""
    rows = session.execute(
        select(WebhookAttempt, WebhookDelivery, WebhookEvent)
        .join(WebhookDelivery, WebhookDelivery.id == WebhookAttempt.delivery_id)
        .join(WebhookEvent, WebhookEvent.seq == WebhookDelivery.event_seq)
        .where(WebhookAttempt.endpoint_id == endpoint_id)
        .order_by(WebhookAttempt.id.desc())
        .limit(limit)
    ).all()
    return [(a, d, e) for a, d, e in rows]


def deliveries_of_endpoint(
    session: Session, endpoint_id: str, limit: int
) -> Sequence[tuple[WebhookDelivery, WebhookEvent]]:
    rows = session.execute(
        select(WebhookDelivery, WebhookEvent)
        .join(WebhookEvent, WebhookEvent.seq == WebhookDelivery.event_seq)
        .where(WebhookDelivery.endpoint_id == endpoint_id)
        .order_by(WebhookDelivery.id.desc())
        .limit(limit)
    ).all()
    return [(d, e) for d, e in rows]


def has_work(session: Session, now: datetime) -> bool:
    """Whether an event waits to be fanned out or a free delivery is due."""
    unsent = select(WebhookEvent.seq).where(WebhookEvent.fanned_out.is_(False)).limit(1)
    due = (
        select(WebhookDelivery.id)
        .where(
            WebhookDelivery.state == "pending",
            WebhookDelivery.next_attempt_at <= now,
            or_(WebhookDelivery.lease_until.is_(None), WebhookDelivery.lease_until < now),
        )
        .limit(1)
    )
    return session.scalar(unsent) is not None or session.scalar(due) is not None


def purge_before(session: Session, cutoff: datetime) -> int:
    """Delete events written before the cutoff, with their deliveries and attempts."""
    old = select(WebhookEvent.seq).where(WebhookEvent.created_at < cutoff)
    deliveries = select(WebhookDelivery.id).where(WebhookDelivery.event_seq.in_(old))
    session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(deliveries)))
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.event_seq.in_(old)))
    result = session.execute(delete(WebhookEvent).where(WebhookEvent.created_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
