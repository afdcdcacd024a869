"""Webhooks: endpoints, the event outbox, one delivery per event and endpoint, and attempts.

An event row is written in the transaction that changed what it reports (the outbox);
the sender fans it out to deliveries and logs every attempt to send one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from fvs.models.base import Base, UTCDateTime, new_id, utcnow


class WebhookEndpoint(Base):
    __tablename__ = "webhook_endpoints"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("wh"))
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    # Set for a render's own webhook_url; null for the account's endpoints.
    project_id: Mapped[str | None] = mapped_column(String(32), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    # Event types sent here; empty means every type.
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Null for a render's endpoint: it is signed with the account's render secret.
    secret: Mapped[str | None] = mapped_column(String(100))
    # After a rotation the old secret signs too, until previous_secret_until.
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    previous_secret_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    # When the first of an unbroken run of failed attempts happened.
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookAccount(Base):
    """An account's webhook settings: the secret of render webhooks and the low-balance mark."""

    __tablename__ = "webhook_accounts"

    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    render_secret: Mapped[str] = mapped_column(String(100))
    low_balance_threshold: Mapped[int | None] = mapped_column(Integer)
    # Set when wallet.low_balance was sent; cleared when the balance climbs back.
    low_balance_notified: Mapped[bool] = mapped_column(Boolean, default=False)


class WebhookEvent(Base):
    __tablename__ = "webhook_events"
    __table_args__ = (Index("ix_webhook_events_unsent", "fanned_out", "seq"),)

    # The order events were written in; ids are random.
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(
        String(40), unique=True, default=lambda: new_id("msg", 12)
    )  # the webhook-id header, the same on every attempt
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    project_id: Mapped[str | None] = mapped_column(String(32), index=True)
    type: Mapped[str] = mapped_column(String(40))
    # What the state change said (status, stage, balance), read when the body is built.
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The body's data, built once when the event is fanned out; every attempt sends it.
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Only to this endpoint (a test event); null: every endpoint that wants the type.
    endpoint_id: Mapped[str | None] = mapped_column(String(32))
    fanned_out: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookDelivery(Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("event_seq", "endpoint_id", name="uq_webhook_deliveries_event_endpoint"),
        Index("ix_webhook_deliveries_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_seq: Mapped[int] = mapped_column(ForeignKey("webhook_events.seq"))
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoints.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending|delivered|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retry_until: Mapped[datetime] = mapped_column(UTCDateTime)
    # A sender holds the delivery until lease_until; another may take it after.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_token: Mapped[str | None] = mapped_column(String(40))
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookAttempt(Base):
    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_deliveries.id"), index=True)
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoints.id"), index=True)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    status_code: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
