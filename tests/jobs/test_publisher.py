"""Publishing to a real broker (RabbitMQ, Redis): after commit, to the job's queue, on time."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import update

from fvs.config import Settings
from fvs.jobs import service as jobs
from fvs.jobs.celery_app import BrokerUnavailable, ping_broker
from fvs.models import Job
from fvs.models.base import utcnow
from tests.conftest import SMALL_RENDER
from tests.jobs.brokers import Broker, celery_settings
from tests.jobs.queue import job_rows, submit_render, wait_until


@pytest.fixture
def settings_overrides(settings_overrides, broker: Broker):
    return {**celery_settings(broker), **settings_overrides}


def eta_of(message) -> datetime | None:
    eta = message.headers.get("eta")
    return None if eta is None else datetime.fromisoformat(eta)


def test_a_job_reaches_its_own_queue_only_and_a_delayed_one_carries_its_eta(
    studio, broker, publisher
):
    submit_render(studio)
    assert publisher.publish_committed() == 1
    [message] = broker.take("media")
    [row] = job_rows(studio)
    assert message.payload[0] == [row.id] and eta_of(message) is None
    assert broker.take("provider") == []
    # The same job as a Veo poll: put back on the provider queue, due in 30 s.
    lease = timedelta(seconds=60)
    assert jobs.lease_by_id(studio.db, job_id=row.id, owner="w", lease=lease) is not None
    studio.db.transact(lambda s: s.execute(update(Job).values(queue="provider")))
    studio.db.transact(lambda s: jobs.requeue(s, job_id=row.id, delay_seconds=30))
    assert publisher.publish_committed() == 1
    [delayed] = broker.take("provider")
    assert delayed.payload[0] == [row.id]
    assert eta_of(delayed) == job_rows(studio)[0].run_after
    assert broker.take("media") == []


def test_the_api_commits_and_publishes_but_runs_no_step(client, make_agent, broker):
    agent = make_agent()
    response = client.post("/api/agent/renders", headers=agent.headers, json=SMALL_RENDER)
    assert response.status_code == 202
    taken: list[object] = []
    wait_until(lambda: bool(taken.extend(broker.take("media")) or taken), what="the message")
    [row] = job_rows(client.app.state.studio)
    assert [m.payload[0] for m in taken] == [[row.id]]  # type: ignore[attr-defined]
    assert (row.status, row.attempts, row.step) == ("queued", 0, "plan")
    assert row.published_at is not None
    assert not [t for t in threading.enumerate() if t.name.startswith("fvs-worker")]


def test_a_lost_delivery_is_sent_again_once_the_relay_interval_passes(studio, broker, publisher):
    submit_render(studio)
    assert publisher.publish_committed() == 1
    assert len(broker.take("media")) == 1  # the message is lost
    assert publisher.relay() == 0  # too early to call it lost
    sent = utcnow() - timedelta(seconds=studio.settings.relay_seconds + 1)
    studio.db.transact(lambda s: s.execute(update(Job).values(published_at=sent, run_after=sent)))
    assert publisher.relay() == 1
    [again] = broker.take("media")
    assert again.payload[0] == [job_rows(studio)[0].id]


def test_the_broker_check_passes_on_a_live_broker(broker):
    ping_broker(Settings(broker_url=broker.url))


@pytest.mark.parametrize(
    "url", ["redis://127.0.0.1:1/0", "amqp://guest:secret@127.0.0.1:1//", None]
)
def test_the_broker_check_names_the_setting_when_it_fails(url):
    with pytest.raises(BrokerUnavailable, match="FVS_BROKER_URL") as failed:
        ping_broker(Settings(broker_url=url))
    assert "secret" not in str(failed.value)
