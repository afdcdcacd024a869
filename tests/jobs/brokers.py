"""Real brokers for the Celery tests: RabbitMQ and Redis, queue names of each test's own."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from kombu import Connection, Exchange, Queue

import fvs
from fvs.config import Settings
from fvs.jobs.celery_app import BrokerUnavailable, ping_broker
from fvs.jobs.service import QUEUES

BROKER_URLS = {
    "rabbitmq": os.environ.get("FVS_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//"),
    # A Redis database of the tests' own; queue names are unique per test besides.
    "redis": os.environ.get("FVS_TEST_REDIS_URL", "redis://127.0.0.1:6379/11"),
}
# The folder that holds this checkout's `fvs` package, for the worker processes' PYTHONPATH.
SOURCE_ROOT = Path(fvs.__file__).resolve().parents[1]


@dataclass(frozen=True)
class Broker:
    kind: str
    url: str
    prefix: str

    def queue(self, name: str) -> str:
        return self.prefix + name

    def take(self, name: str) -> list[Any]:
        """Remove every message waiting in one of this test's queues; their kombu Messages."""
        taken = []
        with Connection(self.url) as connection:
            queue = self._bound(connection, name)
            queue.declare()  # as Celery does; RabbitMQ refuses to read an undeclared queue
            while (message := queue.get(no_ack=True)) is not None:
                taken.append(message)
        return taken

    def delete_queues(self) -> None:
        with Connection(self.url) as connection:
            for name in QUEUES:
                with contextlib.suppress(Exception):
                    self._bound(connection, name).delete()
                with contextlib.suppress(Exception):
                    connection.default_channel.exchange_delete(self.queue(name))
        if self.kind == "redis":  # kombu keeps each binding in a key of its own
            client = redis.Redis.from_url(self.url)
            for key in client.scan_iter(f"*{self.prefix}*"):
                client.delete(key)
            client.close()

    def _bound(self, connection: Connection, name: str) -> Queue:
        full = self.queue(name)
        return Queue(full, Exchange(full), full)(connection.default_channel)


def open_broker(request: pytest.FixtureRequest, kind: str) -> Broker:
    """The broker of this kind with a fresh queue prefix; skipped (failed under CI) if away."""
    url = BROKER_URLS[kind]
    try:
        ping_broker(Settings(broker_url=url))
    except BrokerUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"{kind} is not reachable, and CI must run the broker tests: {exc}")
        pytest.skip(f"{kind} is not reachable: {exc}")
    broker = Broker(kind=kind, url=url, prefix=f"fvs-test-{uuid.uuid4().hex[:10]}-")
    request.addfinalizer(broker.delete_queues)
    return broker


def celery_settings(broker: Broker, **extra: Any) -> dict[str, Any]:
    """The settings a test on this broker runs with (FVS_EXECUTOR=celery)."""
    return {
        "executor": "celery",
        "broker_url": broker.url,
        "queue_prefix": broker.prefix,
        "relay_seconds": 2.0,
        **extra,
    }


class WorkerProcess:
    """A real Celery worker in a subprocess, on the same settings as the test's studio."""

    def __init__(self, settings: Settings, log: Path, command: list[str]) -> None:
        self.settings = settings
        self.log = log
        self.command = command
        self.process: subprocess.Popen[bytes] | None = None
        self.hostname = ""

    @classmethod
    def fvs_worker(cls, settings: Settings, log: Path, *args: str) -> WorkerProcess:
        """`fvs worker ARGS`, as an operator starts one."""
        return cls(settings, log, [sys.executable, "-m", "fvs", "worker", *args])

    @classmethod
    def celery_worker(cls, settings: Settings, log: Path, *args: str) -> WorkerProcess:
        """`celery -A fvs.worker worker ARGS`, Celery's own command line."""
        command = [sys.executable, "-m", "celery", "-A", "fvs.worker", "worker", *args]
        return cls(settings, log, command)

    def start(self, timeout: float = 60) -> WorkerProcess:
        """Start the worker and wait until it consumes; its node name is in `hostname`."""
        with self.log.open("ab") as handle:
            self.process = subprocess.Popen(
                self.command, env=self._env(), stdout=handle, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while not (ready := re.search(r"(\S+@\S+) ready\.", self.output())):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the worker did not start:\n{self.output()[-3000:]}")
            time.sleep(0.1)
        self.hostname = ready.group(1)
        return self

    def stop(self) -> None:
        """SIGTERM: Celery's warm shutdown, as an orchestrator stops a worker."""
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
            self.process = None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def _env(self) -> dict[str, str]:
        values = self.settings.model_dump(exclude_none=True)
        pythonpath = os.pathsep.join(filter(None, [str(SOURCE_ROOT), os.environ.get("PYTHONPATH")]))
        return {
            **os.environ,
            **{f"FVS_{name.upper()}": str(value) for name, value in values.items()},
            "PYTHONPATH": pythonpath,
        }
