"""The outbox and the sender, on the real database: atomic events, leases, backoff, limits."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from fvs.accounts import service as accounts
from fvs.billing import service as billing
from fvs.config import Settings
from fvs.models import Project, WebhookDelivery, WebhookEndpoint, WebhookEvent
from fvs.models.base import utcnow
from fvs.renders import service as renders
from fvs.stages import Status
from fvs.studio import Studio
from fvs.webhooks import delivery
from fvs.webhooks import service as webhooks
from fvs.webhooks.sender import WebhookSender
from fvs.webhooks.sending import Outcome
from tests.factories import account_with_renders
from tests.webhooks.receiver import Receiver

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
pytestmark = pytest.mark.settings(webhook_allow_private=True, webhook_retry_base_seconds=0.01)


def _events(studio: Studio, **where: object) -> list[WebhookEvent]:
    with studio.db.read() as session:
        query = select(WebhookEvent).filter_by(**where).order_by(WebhookEvent.seq)
        return list(session.scalars(query))


def _account_with_endpoint(studio: Studio, url: str, credits: int = 1000) -> tuple[str, str]:
    def create(session):
        account = accounts.create_account(session, email=f"w-{uuid.uuid4().hex[:8]}@example.com")
        billing.grant(session, account_id=account.id, amount=credits, transfer_id=f"g:{account.id}")
        endpoint = webhooks.create_endpoint(
            session, account_id=account.id, url=url, events=[], settings=studio.settings
        )
        return account.id, endpoint.id

    return studio.db.transact(create)


def _sender(studio: Studio, settings: Settings | None = None) -> WebhookSender:
    return WebhookSender(
        db=studio.db, settings=settings or studio.settings, describe=lambda _s, e: dict(e.facts)
    )


@BOTH
def test_an_event_is_written_only_when_its_change_commits(studio: Studio) -> None:
    account_id, [project] = account_with_renders(studio)
    assert [e.type for e in _events(studio, project_id=project.id)] == ["render.queued"]

    def cancel(session):
        renders.cancel_render(session, account_id=account_id, project_id=project.id)

    def cancel_then_fail(session):
        cancel(session)
        session.flush()
        assert session.get(Project, project.id).status == Status.CANCELLED
        raise RuntimeError("the transaction rolls back")

    with pytest.raises(RuntimeError):
        studio.db.transact(cancel_then_fail)
    assert [e.type for e in _events(studio, project_id=project.id)] == ["render.queued"]

    studio.db.transact(cancel)
    kinds = [e.type for e in _events(studio, project_id=project.id)]
    assert kinds == ["render.queued", "render.cancelled"]


@BOTH
def test_two_senders_never_hold_one_delivery(studio: Studio) -> None:
    account_id, endpoint_id = _account_with_endpoint(studio, "http://127.0.0.1:9/hooks")
    studio.db.transact(
        lambda s: webhooks.send_test_event(s, account_id=account_id, endpoint_id=endpoint_id)
    )
    settings = studio.settings
    studio.db.transact(
        lambda s: delivery.fan_out(s, describe=lambda _s, e: dict(e.facts), settings=settings)
    )
    first = studio.db.transact(lambda s: delivery.claim(s, settings=settings))
    second = studio.db.transact(lambda s: delivery.claim(s, settings=settings))
    assert len(first) == 1 and second == []
    # A sender that dies holding the lease: another takes the delivery once it runs out.
    short = settings.model_copy(update={"webhook_lease_seconds": 0.01})

    def expire(session):
        found = session.get(WebhookDelivery, first[0].delivery_id)
        found.lease_until = utcnow() - timedelta(seconds=1)

    studio.db.transact(expire)
    third = studio.db.transact(lambda s: delivery.claim(s, settings=short))
    assert [c.delivery_id for c in third] == [first[0].delivery_id]
    # The first sender's late result is logged but decides nothing: the lease is not its own.
    studio.db.transact(
        lambda s: delivery.record(s, claimed=first[0], outcome=Outcome(200, 5), settings=settings)
    )
    with studio.db.read() as session:
        assert session.get(WebhookDelivery, first[0].delivery_id).state == "pending"


def test_wallet_low_balance_is_sent_once_per_fall(studio: Studio) -> None:
    account_id, _endpoint = _account_with_endpoint(studio, "http://127.0.0.1:9/hooks")
    studio.db.transact(
        lambda s: webhooks.set_low_balance_threshold(s, account_id=account_id, threshold=900)
    )

    def spend(amount: int, tag: str) -> None:
        studio.db.transact(
            lambda s: billing.charge(
                s,
                account_id=account_id,
                amount=amount,
                transfer_id=f"c:{account_id}:{tag}",
                project_id=None,
                memo="test",
            )
        )

    spend(50, "a")  # 950: above the mark
    assert _events(studio, account_id=account_id, type="wallet.low_balance") == []
    spend(100, "b")  # 850: below
    spend(100, "c")  # 750: still below, not said again
    [low] = _events(studio, account_id=account_id, type="wallet.low_balance")
    assert low.facts == {"account_id": account_id, "available_credits": 850, "threshold": 900}
    grant_id = f"g2:{account_id}"
    studio.db.transact(
        lambda s: billing.grant(s, account_id=account_id, amount=500, transfer_id=grant_id)
    )
    spend(400, "d")  # back to 850 after climbing to 1250: a new fall
    assert len(_events(studio, account_id=account_id, type="wallet.low_balance")) == 2


def test_failures_back_off_then_give_up_and_disable_after_five_days(studio: Studio) -> None:
    with Receiver(then=500) as receiver:
        account_id, endpoint_id = _account_with_endpoint(studio, receiver.url)
        studio.db.transact(
            lambda s: webhooks.send_test_event(s, account_id=account_id, endpoint_id=endpoint_id)
        )
        sender = _sender(studio)
        assert sender.run_once() == 1
        assert len(receiver.received) == 1

        def age(session):
            endpoint = session.get(WebhookEndpoint, endpoint_id)
            endpoint.failing_since = utcnow() - timedelta(days=5, minutes=1)
            found = session.scalars(select(WebhookDelivery)).one()
            found.next_attempt_at = utcnow()
            found.retry_until = utcnow()  # the 24 hours are over after this attempt

        studio.db.transact(age)
        assert sender.run_once() == 1
    with studio.db.read() as session:
        endpoint = session.get(WebhookEndpoint, endpoint_id)
        found = session.scalars(select(WebhookDelivery)).one()
        assert (found.state, found.attempts) == ("failed", 2)
        assert endpoint.enabled is False
        assert "disabled automatically" in (endpoint.disabled_reason or "")


def test_backoff_grows_with_jitter() -> None:
    waits = [delivery.backoff_seconds(n, base=2.0) for n in (1, 2, 3, 4)]
    for n, wait in enumerate(waits, start=1):
        assert 2.0 * 2 ** (n - 1) * 0.5 <= wait <= 2.0 * 2 ** (n - 1)
    assert delivery.backoff_seconds(40, base=2.0) <= delivery.MAX_BACKOFF_SECONDS


def test_the_address_is_checked_again_when_sending(studio: Studio) -> None:
    with Receiver() as receiver:
        account_id, endpoint_id = _account_with_endpoint(studio, receiver.url)
        studio.db.transact(
            lambda s: webhooks.send_test_event(s, account_id=account_id, endpoint_id=endpoint_id)
        )
        # Saved while private addresses were allowed; a sender that forbids them refuses.
        strict = studio.settings.model_copy(update={"webhook_allow_private": False})
        assert _sender(studio, strict).run_once() == 1
        assert receiver.received == []
    log = studio.db.transact(
        lambda s: webhooks.endpoint_log(s, account_id=account_id, endpoint_id=endpoint_id)
    )
    [(_delivery, _event, [attempt])] = log
    assert attempt["status_code"] is None
    assert "loopback" in str(attempt["error"])


def test_old_events_are_forgotten_with_their_log(studio: Studio) -> None:
    with Receiver() as receiver:
        account_id, endpoint_id = _account_with_endpoint(studio, receiver.url)
        studio.db.transact(
            lambda s: webhooks.send_test_event(s, account_id=account_id, endpoint_id=endpoint_id)
        )
        assert _sender(studio).run_once() == 1
    settings = studio.settings
    assert studio.db.transact(lambda s: delivery.purge_old(s, settings=settings)) == 0

    def age(session):
        for event in session.scalars(select(WebhookEvent)):
            event.created_at = utcnow() - timedelta(days=settings.webhook_keep_days, hours=1)

    studio.db.transact(age)
    assert studio.db.transact(lambda s: delivery.purge_old(s, settings=settings)) == 1
    log = studio.db.transact(
        lambda s: webhooks.endpoint_log(s, account_id=account_id, endpoint_id=endpoint_id)
    )
    assert log == []
