"""`fvs worker`: Celery's queues, pool and concurrency with FVS_EXECUTOR=celery, refused without."""

from __future__ import annotations

import pytest

from fvs import worker
from fvs.config import Settings


def argv(**options) -> list[str]:
    values = {"queues": None, "concurrency": None, "pool": None, **options}
    return worker.worker_argv(Settings(queue_prefix="studio-a."), **values)


def option(args: list[str], name: str) -> str:
    [value] = [a.split("=", 1)[1] for a in args if a.startswith(f"--{name}=")]
    return value


def test_both_queues_by_default_on_processes_one_per_core(monkeypatch):
    monkeypatch.setattr(worker.os, "cpu_count", lambda: 6)
    args = argv()
    assert args[0] == "worker"
    assert option(args, "queues") == "studio-a.media,studio-a.provider"
    assert (option(args, "pool"), option(args, "concurrency")) == ("prefork", "6")


def test_the_provider_queue_alone_runs_on_threads_enough_for_every_google_model():
    args = argv(queues="provider")
    assert option(args, "queues") == "studio-a.provider"
    # Five roles (planner, image, video, speech, music), each at most four calls at once.
    assert (option(args, "pool"), option(args, "concurrency")) == ("threads", "20")


def test_an_operator_may_choose_the_pool_and_the_concurrency():
    args = argv(queues="media, media", pool="threads", concurrency=3)
    assert option(args, "queues") == "studio-a.media"
    assert (option(args, "pool"), option(args, "concurrency")) == ("threads", "3")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"queues": "media,gpu"}, "no such queue: gpu; queues are media, provider"),
        ({"queues": ","}, "no queue named; queues are media, provider"),
        ({"pool": "eventlet"}, "no such pool: 'eventlet'; pools are prefork, threads, solo"),
    ],
)
def test_unknown_queues_and_pools_are_refused(options, message):
    with pytest.raises(ValueError, match=message):
        argv(**options)


def test_the_command_refuses_celery_options_without_celery(fvs_cli, monkeypatch):
    monkeypatch.setenv("FVS_EXECUTOR", "threads")
    result = fvs_cli("worker", "--queues", "media")
    assert result.exit_code == 2
    assert "--queues, --concurrency and --pool need FVS_EXECUTOR=celery" in result.output


@pytest.mark.parametrize(
    ("env", "args", "message"),
    [
        ({}, ["--queues", "gpu"], "no such queue: gpu"),
        ({"FVS_BROKER_URL": ""}, [], "FVS_EXECUTOR=celery needs FVS_BROKER_URL"),
    ],
)
def test_the_celery_worker_command_names_what_is_wrong(fvs_cli, monkeypatch, env, args, message):
    monkeypatch.setenv("FVS_EXECUTOR", "celery")
    monkeypatch.setenv("FVS_BROKER_URL", "redis://127.0.0.1:6379/11")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = fvs_cli("worker", *args)
    assert result.exit_code == 2 and message in result.output
