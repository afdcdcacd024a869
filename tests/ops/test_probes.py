"""/healthz, /readyz and /metrics: what people running several machines look at."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event

from fvs.db import Database
from tests.conftest import SMALL_RENDER, wait_for


@pytest.mark.settings(executor="none")  # no worker threads polling the jobs table meanwhile
def test_healthz_answers_without_touching_the_database(client):
    statements = []

    def count(*args: object) -> None:
        statements.append(args[2])

    engine = client.app.state.studio.db.engine
    event.listen(engine, "before_cursor_execute", count)
    response = client.get("/healthz")
    event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert statements == []


def test_readyz_is_ready_then_names_the_database_when_it_goes_down(client):
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json() == {
        "status": "ready",
        "checks": {"database": "ok", "broker": "ok", "storage": "ok"},
    }
    studio = client.app.state.studio
    healthy = studio.db
    studio.db = Database("postgresql+psycopg://postgres@127.0.0.1:1/gone")  # nothing listens
    try:
        down = client.get("/readyz")
    finally:
        studio.db.dispose()
        studio.db = healthy
    assert down.status_code == 503
    body = down.json()
    assert body["status"] == "down" and body["checks"]["storage"] == "ok"
    assert body["error"]["field"] == "database"
    assert body["error"]["message"].startswith("FVS_DATABASE_URL: the database cannot be reached")


def _sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text, e.g. fvs_renders{status="completed"}."""
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = rf"^{re.escape(name)}(?:\{{([^}}]*)\}})? (\S+)$"
    for match in re.finditer(pattern, text, re.M):
        given = match.group(1) or ""
        if all(part in given.split(",") for part in wanted.split(",") if part):
            return float(match.group(2))
    raise AssertionError(f"no sample {name}{{{wanted}}} in:\n{text}")


def test_metrics_after_a_render_count_it(client, make_agent):
    agent = make_agent()
    before = client.get("/metrics").text
    planned_before = _sample(before, "fvs_step_seconds_count", step="plan", outcome="ok")
    calls_before = _sample_or_zero(before, "fvs_provider_calls_total", model="local-planner")
    job = client.post("/api/agent/renders", json=SMALL_RENDER, headers=agent.headers).json()
    wait_for(client, agent, job["project_id"], ("completed",))
    scraped = client.get("/metrics")
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    text = scraped.text
    assert _sample(text, "fvs_renders", status="completed") == 1
    assert _sample(text, "fvs_renders", status="failed") == 0
    assert _sample(text, "fvs_credits_held") == 0  # a finished render holds nothing
    assert _sample(text, "fvs_step_seconds_count", step="plan", outcome="ok") == planned_before + 1
    assert _sample(text, "fvs_step_seconds_count", step="film", outcome="ok") >= 2
    assert _sample(text, "fvs_stage_work_seconds_count", stage="filming") >= 2
    assert (
        _sample(text, "fvs_provider_calls_total", model="local-planner", outcome="ok")
        == calls_before + 1
    )
    assert _sample(text, "fvs_provider_call_seconds_count", model="local-animatic") >= 2
    assert "# TYPE fvs_jobs_retried_total counter" in text  # counted where a step fails


def _sample_or_zero(text: str, name: str, **labels: str) -> float:
    try:
        return _sample(text, name, **labels)
    except AssertionError:
        return 0.0


@pytest.mark.settings(metrics_token="scrape-me")
def test_metrics_token_guards_the_scrape(client):
    refused = client.get("/metrics")
    assert refused.status_code == 401
    assert refused.json()["error"]["field"] == "Authorization"
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer scrape-me"}).status_code == 200


def test_a_request_id_is_echoed_or_made(client):
    assert (
        client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"]
        == "abc-123"
    )
    made = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["x-request-id"])
