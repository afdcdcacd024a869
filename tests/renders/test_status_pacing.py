"""Status pacing is per account: a second key of the same account shares the first one's pace."""

from __future__ import annotations

import json

import pytest

from fvs.app import build_studio
from fvs.keys import service as keys
from fvs.renders.endpoints import pacer
from tests.conftest import SMALL_RENDER, Agent

# Long enough that two back-to-back polls always fall inside it, short enough to wait out.
INTERVAL_MS = 1500


def _second_key(settings, agent: Agent) -> Agent:
    studio = build_studio(settings)
    try:
        issued = studio.db.transact(
            lambda s: keys.issue_key(
                s, account_id=agent.account_id, name="second", secret=settings.resolved_secret
            )
        )
    finally:
        studio.db.dispose()
    return Agent(account_id=agent.account_id, email=agent.email, key=issued.secret)


def _status_url(client, agent: Agent) -> str:
    body = {"request_json": (None, json.dumps(SMALL_RENDER))}
    answer = client.post("/api/agent/renders", headers=agent.headers, files=body)
    assert answer.status_code == 202
    return str(answer.json()["status_url"])


@pytest.mark.settings(status_min_interval_ms=INTERVAL_MS)
def test_a_second_key_of_the_same_account_is_paced(client, make_agent, settings):
    first = make_agent()
    second = _second_key(settings, first)
    url = _status_url(client, first)
    assert client.get(url, headers=first.headers).status_code == 200
    before = pacer.paced
    assert client.get(url, headers=second.headers).status_code == 200
    assert pacer.paced == before + 1


@pytest.mark.settings(status_min_interval_ms=INTERVAL_MS)
def test_another_account_polling_its_own_render_is_not_paced(client, make_agent):
    one, other = make_agent(), make_agent()
    first_url, other_url = _status_url(client, one), _status_url(client, other)
    assert client.get(first_url, headers=one.headers).status_code == 200
    before = pacer.paced
    assert client.get(other_url, headers=other.headers).status_code == 200
    assert pacer.paced == before
