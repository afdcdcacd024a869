"""Idempotency-Key on render submission: replay, mismatch, release on failure, per account."""

from __future__ import annotations

from sqlalchemy import func, select

from fvs.billing import service as billing
from fvs.models import Project
from tests.conftest import SMALL_RENDER


def post(client, agent, body, key="k-1"):
    return client.post(
        "/api/agent/renders", json=body, headers={**agent.headers, "Idempotency-Key": key}
    )


def count_projects(client, account_id: str) -> int:
    with client.app.state.studio.db.read() as session:
        return session.scalar(
            select(func.count()).select_from(Project).where(Project.account_id == account_id)
        )


def test_same_key_same_body_replays_the_first_answer(client, make_agent):
    agent = make_agent()
    first = post(client, agent, SMALL_RENDER)
    again = post(client, agent, dict(reversed(list(SMALL_RENDER.items()))))  # key order ignored
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count_projects(client, agent.account_id) == 1


def test_same_key_other_body_is_a_422(client, make_agent):
    agent = make_agent()
    assert post(client, agent, SMALL_RENDER).status_code == 202
    other = post(client, agent, {**SMALL_RENDER, "name": "Another"})
    assert other.status_code == 422
    assert other.json()["error"]["field"] == "Idempotency-Key"


def test_a_refused_submission_frees_its_key(client, make_agent, settings):
    agent = make_agent(credits=2)
    assert post(client, agent, SMALL_RENDER).status_code == 402
    client.app.state.studio.db.transact(
        lambda s: billing.grant(s, account_id=agent.account_id, amount=500, transfer_id="top-up")
    )
    assert post(client, agent, SMALL_RENDER).status_code == 202
    assert count_projects(client, agent.account_id) == 1


def test_keys_are_scoped_per_account_and_checked(client, make_agent):
    one, two = make_agent(), make_agent()
    assert (
        post(client, one, SMALL_RENDER).json()["project_id"]
        != post(client, two, SMALL_RENDER).json()["project_id"]
    )
    bad = post(client, one, SMALL_RENDER, key="x" * 300)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "Idempotency-Key"
