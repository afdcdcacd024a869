"""Celery workers for this studio (FVS_EXECUTOR=celery): `fvs worker`, or `celery -A fvs.worker`.

The jobs package delivers and leases jobs without knowing the pipeline; here the
pipeline's step runner and the studio's sweep are bound to its Celery app.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

from celery import bootsteps

from fvs.app import build_studio, make_webhook_sender, sweep
from fvs.config import Settings
from fvs.jobs.celery_app import StudioCelery, create_celery
from fvs.jobs.celery_worker import ChoresStep, JobRunner
from fvs.jobs.service import MEDIA_QUEUE, QUEUES
from fvs.pipeline import steps
from fvs.providers import registry
from fvs.webhooks.sender import WebhookSender

POOLS = ("prefork", "threads", "solo")


def create_worker_app(settings: Settings) -> StudioCelery:
    """The Celery app of a worker: the studio's queues, its step runner and its chores."""
    app = create_celery(settings)
    app.runner = JobRunner(
        settings=settings,
        app=app,
        make_studio=lambda: build_studio(settings),
        run_step=steps.run_job,
        sweep=sweep,
    )
    app.steps["worker"].add(ChoresStep)
    app.steps["worker"].add(WebhookStep)
    return app


class WebhookStep(bootsteps.StartStopStep):
    """The worker's main process sends webhooks (leases keep several workers apart)."""

    requires = ("celery.worker.components:Pool",)

    def create(self, worker: Any) -> WebhookSender:
        # Started and stopped with the worker by the bootstep.
        return make_webhook_sender(build_studio(worker.app.runner.settings))


def worker_argv(
    settings: Settings, *, queues: str | None, concurrency: int | None, pool: str | None
) -> list[str]:
    """The `celery worker` command line for these queues (default: both); ValueError if bad."""
    names = parse_queues(queues)
    if pool is not None and pool not in POOLS:
        raise ValueError(f"no such pool: {pool!r}; pools are {', '.join(POOLS)}")
    # Media steps are CPU-bound Python and ffmpeg: processes. Provider steps only wait: threads.
    pool = pool or ("prefork" if MEDIA_QUEUE in names else "threads")
    return [
        "worker",
        f"--queues={','.join(settings.queue_prefix + name for name in names)}",
        f"--pool={pool}",
        f"--concurrency={concurrency or default_concurrency(settings, names)}",
        f"--hostname=fvs-{'-'.join(names)}-{os.getpid()}@%h",
        "--loglevel=INFO",
        # No revoked ids to share at start-up, no worker-to-worker chatter: the table rules.
        "--without-mingle",
        "--without-gossip",
    ]


def parse_queues(queues: str | None) -> tuple[str, ...]:
    """`media`, `provider` or `media,provider` as a tuple; None means both."""
    names = tuple(q.strip() for q in (queues or ",".join(QUEUES)).split(",") if q.strip())
    unknown = [name for name in names if name not in QUEUES]
    if unknown or not names:
        named = f"no such queue: {', '.join(unknown)}" if unknown else "no queue named"
        raise ValueError(f"{named}; queues are {', '.join(QUEUES)}")
    return tuple(dict.fromkeys(names))


def default_concurrency(settings: Settings, queues: tuple[str, ...]) -> int:
    """One process per core for media work; for provider work alone, threads for each wait."""
    if MEDIA_QUEUE in queues:
        return os.cpu_count() or 1
    # Enough threads to fill every role's per-model cap on Google at once.
    return len(registry.ROLES) * settings.google_max_concurrent_per_model


@cache
def _from_environment() -> StudioCelery:
    return create_worker_app(Settings())


def __getattr__(name: str) -> Any:
    # `celery -A fvs.worker worker -Q media` looks up `app`, built from the environment then.
    if name == "app":
        return _from_environment()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
