"""FVS_LOG_FORMAT=json: one object per line, ids to follow a render, no secrets."""

from __future__ import annotations

import io
import json
import logging

import pytest

from fvs import logs
from tests.conftest import SMALL_RENDER, wait_for


@pytest.fixture
def json_lines():
    """Capture the studio's log lines as the json format writes them."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(logs.ContextFilter())
    handler.setFormatter(logs.JsonFormatter())
    logger = logging.getLogger("fvs")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)
    logger.setLevel(old_level)


def test_each_step_logs_its_project_and_job(client, make_agent, json_lines):
    agent = make_agent()
    job = client.post("/api/agent/renders", json=SMALL_RENDER, headers=agent.headers).json()
    wait_for(client, agent, job["project_id"], ("completed",))
    lines = [line for line in json_lines() if line["project_id"] == job["project_id"]]
    steps = [line["message"].split()[1] for line in lines if line["message"].startswith("step ")]
    assert steps[0] == "plan" and steps[-1] == "produce" and steps.count("film") == 2
    assert all(isinstance(line["job_id"], int) for line in lines)
    assert {"time", "level", "logger", "message", "request_id"} <= set(lines[0])


def test_keys_and_url_signatures_never_reach_a_line(json_lines):
    key = "fvs_AbCdEfGh0123456789abcdefghijklmnopqrstuvwx"
    logging.getLogger("fvs.test").warning(
        "refused %s for /media/x.mp4?exp=1&kid=k1&sig=%s and https://s3/x?X-Amz-Signature=%s",
        key,
        "a" * 64,
        "b" * 64,
    )
    (line,) = json_lines()
    assert key not in line["message"] and "a" * 64 not in line["message"]
    assert "b" * 64 not in line["message"]
    # The key, exp, sig and the S3 signature: a signed link's expiry is masked too.
    assert line["message"].count("[redacted]") == 4


def test_a_request_id_tags_lines_logged_while_serving_it():
    with logs.job_context("proj_x", 7):
        token = logs.request_id.set("req-1")
        record = logging.LogRecord("fvs", logging.INFO, __file__, 1, "hello", None, None)
        logs.ContextFilter().filter(record)
        logs.request_id.reset(token)
    line = json.loads(logs.JsonFormatter().format(record))
    assert (line["request_id"], line["project_id"], line["job_id"]) == ("req-1", "proj_x", 7)


@pytest.fixture
def restored_loggers():
    """Put the loggers that logs.configure touches back as they were."""
    names = ("fvs", "uvicorn", "uvicorn.error", "uvicorn.access", "celery")
    saved = {n: (logging.getLogger(n).handlers[:], logging.getLogger(n).propagate) for n in names}
    saved_levels = {n: logging.getLogger(n).level for n in names}
    yield
    for name, (handlers, propagate) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers, logger.propagate = handlers, propagate
        logger.setLevel(saved_levels[name])


def test_configured_lines_survive_a_closed_stand_in_stderr(restored_loggers, monkeypatch, capfd):
    # A CLI run in-process (tests, embedding) swaps sys.stderr and closes it afterwards,
    # and Celery's worker redirects sys.stderr into logging: lines go to the real stderr.
    stand_in = io.StringIO()
    monkeypatch.setattr("sys.stderr", stand_in)
    logs.configure("json")
    stand_in.close()
    logging.getLogger("fvs.test").info("after the swap")
    line = capfd.readouterr().err.strip().splitlines()[-1]
    assert json.loads(line)["message"] == "after the swap"
