"""The Celery app: a broker delivers job ids to the `media` and `provider` queues.

The jobs table stays the truth; a message only says "job 42 may be ready". This app is
importable on its own, for watching the queues (`celery -A fvs.jobs.celery_app inspect
active`, Flower); fvs/worker.py binds the step runner and consumes them.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Protocol

from celery import Celery, Task
from kombu import Connection, Exchange, Queue
from kombu.utils.url import maybe_sanitize_url

from fvs.config import Settings
from fvs.jobs.service import MEDIA_QUEUE, QUEUES, Delivery
from fvs.models.base import utcnow

TASK_NAME = "fvs.run_job"
BROKER_CHECK_SECONDS = 3.0


class BrokerUnavailable(RuntimeError):
    """The broker is not configured, or does not answer."""


class DeliveredJobRunner(Protocol):
    def run(self, job_id: int) -> None: ...


class StudioCelery(Celery):
    """A Celery app for one studio; in a worker process, `runner` runs each delivered job."""

    runner: DeliveredJobRunner | None = None
    queue_prefix: str = ""

    def send_job(self, delivery: Delivery) -> None:
        """Send a job id to its queue, due at its run_after: an ETA, never a sleeping worker."""
        due = delivery.run_after if delivery.run_after > utcnow() else None
        self.send_task(
            TASK_NAME,
            args=[delivery.job_id],
            queue=self.queue_prefix + delivery.queue,
            eta=due,
        )


def create_celery(settings: Settings) -> StudioCelery:
    """A Celery app on FVS_BROKER_URL with the studio's two queues and its one task."""
    app = StudioCelery("fvs", broker=broker_url(settings), set_as_current=False)
    app.queue_prefix = settings.queue_prefix
    app.conf.update(
        task_queues=[_queue(settings.queue_prefix + name) for name in QUEUES],
        task_default_queue=settings.queue_prefix + MEDIA_QUEUE,
        # A message is acknowledged once its step ends and given back if the worker dies
        # meanwhile; each worker process reserves one message at a time.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        # A lost broker connection leaves running steps be: the message comes back, and the
        # lease makes its second delivery a no-op while the first run goes on.
        worker_cancel_long_running_tasks_on_connection_loss=False,
        broker_connection_retry_on_startup=True,
        task_ignore_result=True,  # outcomes live in the jobs table
        task_serializer="json",
        accept_content=["json"],
    )
    app.task(name=TASK_NAME, bind=True, shared=False, acks_late=True, reject_on_worker_lost=True)(
        run_job
    )
    return app


def _queue(name: str) -> Queue:
    # An exchange of its own per queue: left out, Celery binds every queue to the default
    # queue's exchange and key, and each message would reach both queues.
    return Queue(name, Exchange(name, type="direct"), routing_key=name)


def run_job(task: Task, job_id: int) -> None:
    """Run job `job_id` if it is still ready; a done, not yet due or held job is left alone."""
    runner = task.app.runner
    if runner is None:
        raise RuntimeError("this Celery app only publishes jobs; run them with `fvs worker`")
    runner.run(job_id)


def broker_url(settings: Settings) -> str:
    """FVS_BROKER_URL, or BrokerUnavailable saying it must be set."""
    if not settings.broker_url:
        raise BrokerUnavailable(
            "FVS_EXECUTOR=celery needs FVS_BROKER_URL, e.g. redis://127.0.0.1:6379/0 "
            "or amqp://guest:guest@127.0.0.1:5672//"
        )
    return settings.broker_url


def ping_broker(settings: Settings) -> None:
    """Connect to the broker once (a readiness check), or raise BrokerUnavailable."""
    url = broker_url(settings)
    options = {"socket_connect_timeout": BROKER_CHECK_SECONDS, "socket_timeout": 3.0}
    connection = Connection(url, connect_timeout=BROKER_CHECK_SECONDS, transport_options=options)
    try:
        with connection:
            connection.ensure_connection(max_retries=0, timeout=BROKER_CHECK_SECONDS)
    except Exception as exc:
        raise BrokerUnavailable(
            f"the broker at FVS_BROKER_URL ({maybe_sanitize_url(url)}) does not answer: {exc}"
        ) from exc


@cache
def _from_environment() -> StudioCelery:
    return create_celery(Settings())


def __getattr__(name: str) -> Any:
    # `celery -A fvs.jobs.celery_app ...` and Flower look up `app`; it is built from the
    # environment only then, so importing this module needs no broker settings.
    if name == "app":
        return _from_environment()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
