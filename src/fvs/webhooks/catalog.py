"""The event types a webhook endpoint may ask for."""

from __future__ import annotations

RENDER_QUEUED = "render.queued"
RENDER_STAGE_CHANGED = "render.stage_changed"
RENDER_HALTED = "render.halted_for_review"
RENDER_COMPLETED = "render.completed"
RENDER_FAILED = "render.failed"
RENDER_CANCELLED = "render.cancelled"
WALLET_LOW_BALANCE = "wallet.low_balance"
# Sent by hand from Settings to one endpoint; never subscribed to.
WEBHOOK_TEST = "webhook.test"

RENDER_EVENTS = (
    RENDER_QUEUED,
    RENDER_STAGE_CHANGED,
    RENDER_HALTED,
    RENDER_COMPLETED,
    RENDER_FAILED,
    RENDER_CANCELLED,
)
EVENT_TYPES = (*RENDER_EVENTS, WALLET_LOW_BALANCE)
# The event a render's status reaching this value sends.
TERMINAL_EVENTS = {
    "completed": RENDER_COMPLETED,
    "failed": RENDER_FAILED,
    "cancelled": RENDER_CANCELLED,
}


def check_event_types(events: list[str] | None) -> list[str]:
    """The list with duplicates dropped; ValueError names an unknown type."""
    unknown = [e for e in events or [] if e not in EVENT_TYPES]
    if unknown:
        raise ValueError(f"unknown event type {unknown[0]!r}; types are {', '.join(EVENT_TYPES)}")
    return list(dict.fromkeys(events or []))
