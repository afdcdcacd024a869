"""Prometheus metrics the pipeline records where the work happens (see ops/ for /metrics).

Counts that the database already knows (renders by status, jobs waiting, credits held)
are read from it at scrape time instead, so every replica reports the cluster's truth.
With PROMETHEUS_MULTIPROC_DIR set, several worker processes on one machine share these.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, start_http_server
from prometheus_client.multiprocess import MultiProcessCollector

# Seconds: a painted keyframe takes ~0.1 s, a Veo clip minutes.
BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)

STEP_SECONDS = Histogram(
    "fvs_step_seconds", "Seconds a pipeline step ran, by step and outcome.", ["step", "outcome"],
    buckets=BUCKETS,
)  # fmt: skip
STAGE_SECONDS = Histogram(
    "fvs_stage_work_seconds", "Seconds of step work spent in each stage.", ["stage"],
    buckets=BUCKETS,
)  # fmt: skip
PROVIDER_CALLS = Counter(
    "fvs_provider_calls", "Provider calls by model, method and outcome (ok or error).",
    ["model", "method", "outcome"],
)  # fmt: skip
PROVIDER_SECONDS = Histogram(
    "fvs_provider_call_seconds", "Seconds a provider call took, by model and method.",
    ["model", "method"], buckets=BUCKETS,
)  # fmt: skip
JOBS_RETRIED = Counter("fvs_jobs_retried", "Jobs queued again after a failure, by step.", ["step"])


@contextmanager
def timed_step(step: str, stage: str) -> Iterator[None]:
    """Observe a step's seconds (outcome ok or error) and add them to its stage."""
    started = time.perf_counter()
    outcome = "error"
    try:
        yield
        outcome = "ok"
    finally:
        seconds = time.perf_counter() - started
        STEP_SECONDS.labels(step, outcome).observe(seconds)
        STAGE_SECONDS.labels(stage).observe(seconds)


class Instrumented:
    """A provider object whose method calls are counted and timed under its model id."""

    def __init__(self, inner: Any, model: str) -> None:
        self._inner = inner
        self._model = model

    def __getattr__(self, name: str) -> Any:
        # Missing attributes stay missing, so runtime_checkable protocols still tell kinds apart.
        found = getattr(self._inner, name)
        if not callable(found) or name.startswith("_"):
            return found
        return self._timed(name, found)

    def _timed(self, method: str, call: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            outcome = "error"
            try:
                result = call(*args, **kwargs)
                outcome = "ok"
                return result
            finally:
                PROVIDER_SECONDS.labels(self._model, method).observe(time.perf_counter() - started)
                PROVIDER_CALLS.labels(self._model, method, outcome).inc()

        return timed


def local_registry() -> CollectorRegistry:
    """This process's metrics, or with PROMETHEUS_MULTIPROC_DIR every process's on the machine."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    return registry


def serve_http(port: int) -> None:
    """Serve local_registry() as Prometheus text on a port, from a daemon thread (workers)."""
    start_http_server(port, registry=local_registry())
