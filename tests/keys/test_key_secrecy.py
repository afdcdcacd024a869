"""Keys: checksummed format, stored only as a hash, never logged, malformed ones never queried."""

from __future__ import annotations

import logging

from sqlalchemy import event, select, text

from fvs.keys import format as key_format
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
