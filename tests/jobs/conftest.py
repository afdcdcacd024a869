"""The jobs tests' brokers: each test that asks for `broker` runs on RabbitMQ and on Redis."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fvs.config import Settings
from fvs.jobs.celery_app import StudioCelery, create_celery
from fvs.jobs.publisher import Publisher
from fvs.studio import Studio
from tests.jobs.brokers import Broker, open_broker


@pytest.fixture(params=["rabbitmq", "redis"])
def broker(request: pytest.FixtureRequest) -> Broker:
    """A real broker with queue names of this test's own, deleted afterwards."""
    return open_broker(request, request.param)


@pytest.fixture
def celery_app(settings: Settings) -> Iterator[StudioCelery]:
    """The test's Celery app, as the studio's processes build it; its connections closed after."""
    app = create_celery(settings)
    yield app
    app.close()


@pytest.fixture
def publisher(studio: Studio, celery_app: StudioCelery) -> Publisher:
    """Publishes the test studio's commits at once, as a worker process does after a step."""
    publisher = Publisher(db=studio.db, settings=studio.settings, send=celery_app.send_job)
    studio.wake = publisher.publish_quietly
    return publisher
