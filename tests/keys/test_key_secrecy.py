"""Keys: checksummed format, stored only as a hash, never logged, malformed ones never queried."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import event, select, text

from fvs.accounts import service as accounts
from fvs.errors import ValidationFailed
from fvs.keys import format as key_format
from fvs.keys import service as keys
from fvs.models import AgentKey


def test_generated_keys_carry_a_checksum():
    keys = {key_format.generate_key() for _ in range(200)}
    assert len(keys) == 200
    for key in keys:
        assert key.startswith("fvs_") and key_format.is_well_formed(key)
        flipped = key[:10] + ("a" if key[10] != "a" else "b") + key[11:]
        assert not key_format.is_well_formed(flipped)
    assert not key_format.is_well_formed("fvs_short")


def test_a_malformed_key_is_refused_without_a_database_read(client, make_agent):
    agent = make_agent()
    statements: list[str] = []
    engine = client.app.state.studio.db.engine
    # Worker threads poll the jobs table meanwhile; only key lookups count here.
    listener = lambda *args: "agent_keys" in args[2] and statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        bad = agent.key[:-1] + ("0" if agent.key[-1] != "0" else "1")
        response = client.get("/api/agent/wallet", headers={"X-FVS-Agent-Key": bad})
        assert response.status_code == 401
        assert statements == []
        assert client.get("/api/agent/wallet", headers=agent.headers).status_code == 200
        assert statements  # the well-formed key did reach the database
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def test_the_key_is_never_stored_or_logged_in_clear(client, make_agent, caplog, settings):
    caplog.set_level(logging.DEBUG)
    agent = make_agent()
    client.get("/api/agent/wallet", headers=agent.headers)
    client.post("/api/agent/renders", headers=agent.headers, json={"screenplay": ""})
    assert agent.key not in caplog.text
    with client.app.state.studio.db.read() as session:
        row = session.scalars(select(AgentKey)).one()
        assert row.secret_hash == key_format.hash_key(agent.key, settings.resolved_secret)
        dump = " ".join(str(v) for v in session.execute(text("SELECT * FROM agent_keys")).one())
    assert agent.key not in dump and agent.key[len("fvs_") :] not in dump


def test_nul_in_names_and_emails_is_a_422_not_a_crash(studio):
    for bad in ("a\x00b@example.com", "line\nbreak@example.com"):
        with pytest.raises(ValidationFailed) as refused:
            studio.db.transact(lambda s, bad=bad: accounts.create_account(s, email=bad))
        assert refused.value.field == "email"
    account = studio.db.transact(lambda s: accounts.create_account(s, email="n@example.com").id)
    with pytest.raises(ValidationFailed) as refused:
        studio.db.transact(
            lambda s: keys.issue_key(s, account_id=account, name="a\x00b", secret=b"s")
        )
    assert refused.value.field == "name"


def test_last_use_is_recorded_at_most_once_a_minute(client, make_agent):
    agent = make_agent()

    def last_used():
        with client.app.state.studio.db.read() as session:
            return session.scalars(select(AgentKey)).one().last_used_at

    assert last_used() is None
    client.get("/api/agent/wallet", headers=agent.headers)
    first = last_used()
    assert first is not None
    for _ in range(3):
        client.get("/api/agent/wallet", headers=agent.headers)
    assert last_used() == first
