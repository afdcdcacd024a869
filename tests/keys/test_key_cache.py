"""Verified keys are remembered briefly per process; revocation and expiry still win."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import update

from fvs.keys import service as keys
from fvs.models import AgentKey
from fvs.models.base import utcnow

STATUS_PATH = "/api/agent/renders/proj_0000000000000000"


def _status(client, key: str) -> int:
    return client.get(STATUS_PATH, headers={"X-FVS-Agent-Key": key}).status_code


def _revoke_elsewhere(client, account_id: str) -> None:
    """Revoke the way another process would: in the database, not in this one's memory."""
    studio = client.app.state.studio
    stmt = update(AgentKey).where(AgentKey.account_id == account_id).values(revoked_at=utcnow())
    studio.db.transact(lambda s: s.execute(stmt))


@pytest.mark.settings(key_cache_seconds=1.0)
def test_a_key_revoked_by_another_process_is_refused_within_the_window(client, make_agent):
    agent = make_agent()
    assert _status(client, agent.key) == 404  # verified: the render simply does not exist
    _revoke_elsewhere(client, agent.account_id)
    assert _status(client, agent.key) == 404  # remembered for up to key_cache_seconds
    time.sleep(1.1)
    assert _status(client, agent.key) == 401


@pytest.mark.settings(key_cache_seconds=0)
def test_without_the_cache_a_revoked_key_is_refused_at_once(client, make_agent):
    agent = make_agent()
    assert _status(client, agent.key) == 404
    _revoke_elsewhere(client, agent.account_id)
    assert _status(client, agent.key) == 401


@pytest.mark.settings(key_cache_seconds=60)
def test_revoking_in_this_process_forgets_the_key_at_once(client, make_agent):
    agent = make_agent()
    assert _status(client, agent.key) == 404
    studio = client.app.state.studio
    key_id = studio.db.transact(lambda s: keys.list_keys(s, account_id=agent.account_id)[0].id)
    studio.db.transact(lambda s: keys.revoke_key(s, key_id=key_id))
    assert _status(client, agent.key) == 401


@pytest.mark.settings(key_cache_seconds=60)
def test_the_cache_never_outlives_the_keys_expiry(client, make_agent):
    agent = make_agent()
    studio = client.app.state.studio
    soon = utcnow() + timedelta(seconds=1)
    stmt = update(AgentKey).where(AgentKey.account_id == agent.account_id).values(expires_at=soon)
    studio.db.transact(lambda s: s.execute(stmt))
    assert _status(client, agent.key) == 404
    time.sleep(1.2)
    assert _status(client, agent.key) == 401
