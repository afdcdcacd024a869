"""`fvs ledger check` passes a ledger built by real renders and names each kind of corruption."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from fvs import cli
from fvs.app import create_app
from fvs.billing.repository import wallet_id
from fvs.config import Settings
from tests.conftest import SMALL_RENDER, wait_for

pytestmark = [pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)]


@dataclass
class Rendered:
    url: str
    account_id: str
    project_id: str
    grant_id: str


def check(url: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli.app, ["ledger", "check", "--database-url", url])
    return result.exit_code, result.output


def raw_sql(url: str, *statements: str) -> None:
    """Run SQL the way a bad migration or a hand edit would: foreign keys not enforced."""
    engine = create_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # Foreign keys are triggers; a replica session skips them (we connect as superuser).
            conn.execute(text("SET session_replication_role = replica"))
        for statement in statements:
            conn.execute(text(statement))
    engine.dispose()


def scalar(url: str, query: str) -> str:
    engine = create_engine(url)
    with engine.connect() as conn:
        value = conn.execute(text(query)).scalar_one()
    engine.dispose()
    return str(value)


@pytest.fixture
def rendered(settings: Settings, make_agent: Callable[..., object]) -> Rendered:
    """A completed render and a cancelled one, after a grant: a healthy, busy ledger."""
    agent = make_agent(credits=1000)
    with TestClient(create_app(settings)) as client:
        submit = {"request_json": (None, json.dumps(SMALL_RENDER))}
        done = client.post("/api/agent/renders", headers=agent.headers, files=submit).json()
        wait_for(client, agent, done["project_id"], ("completed",))  # type: ignore[arg-type]
        other = client.post("/api/agent/renders", headers=agent.headers, files=submit).json()
        client.post(other["cancel_url"], headers=agent.headers)
    url = str(settings.database_url)
    grant = scalar(url, "SELECT id FROM transfers WHERE id LIKE 'grant:%'")
    return Rendered(url, agent.account_id, done["project_id"], grant)  # type: ignore[attr-defined]


def test_a_ledger_built_by_renders_passes(rendered: Rendered) -> None:
    before = _file_digest(rendered.url)
    code, output = check(rendered.url)
    assert code == 0, output
    holds = scalar(rendered.url, "SELECT count(*) FROM transfers WHERE kind = 'pending'")
    wallets = scalar(rendered.url, "SELECT count(*) FROM ledger_accounts WHERE kind = 'wallet'")
    assert int(holds) > 0
    assert (
        f"ledger ok: {_count(rendered.url)} transfers, {wallets} wallets, {holds} holds" in output
    )
    assert _file_digest(rendered.url) == before  # read-only: not a byte written


def test_unbalanced_transfer_is_named(rendered: Rendered) -> None:
    charge = f"charge:{rendered.project_id}:creation"
    raw_sql(
        rendered.url,
        f"UPDATE transfers SET credit_account_id = 'system:nowhere' WHERE id = '{charge}'",
    )
    code, output = check(rendered.url)
    assert code == 1
    assert f"unbalanced transfer: single of 5 from {wallet_id(rendered.account_id)}" in output
    assert f"[{charge}]" in output
    assert "unbalanced ledger: posted balances net to -5, not 0" in output


def test_a_post_larger_than_its_hold_is_unbalanced(rendered: Rendered) -> None:
    post = scalar(
        rendered.url,
        "SELECT min(id) FROM transfers WHERE kind = 'post' "
        f"AND project_id = '{rendered.project_id}'",
    )
    raw_sql(rendered.url, f"UPDATE transfers SET amount = amount + 100000 WHERE id = '{post}'")
    code, output = check(rendered.url)
    assert code == 1
    hold = post.rsplit(":", 1)[0]
    assert f"unbalanced transfer: post does not match hold {hold} (pending)" in output
    assert f"[{post}, {hold}]" in output


def test_tampered_stored_reservation_is_named(rendered: Rendered) -> None:
    # Wallet balances are sums, never stored; each render's reservation is stored.
    pid = rendered.project_id
    raw_sql(
        rendered.url,
        f"UPDATE projects SET credits_reserved = credits_reserved + 7 WHERE id = '{pid}'",
    )
    code, output = check(rendered.url)
    assert code == 1
    assert "stored balance: render stores" in output and f"[{pid}]" in output
    assert output.count("stored balance") == 1


def test_hold_left_open_on_a_finished_render_is_named(rendered: Rendered) -> None:
    hold = f"hold:{rendered.project_id}:production"
    raw_sql(rendered.url, f"DELETE FROM transfers WHERE pending_id = '{hold}'")
    code, output = check(rendered.url)
    assert code == 1
    assert (
        f"open hold: hold still pending on completed render {rendered.project_id} [{hold}]"
        in output
    )


def test_hold_posted_twice_is_named(rendered: Rendered) -> None:
    hold = f"hold:{rendered.project_id}:production"
    _drop_unique_pending_id(rendered.url)
    raw_sql(
        rendered.url,
        "INSERT INTO transfers (id, kind, debit_account_id, credit_account_id, amount, "
        "pending_id, project_id, memo, created_at) "
        f"SELECT id || '-again', kind, debit_account_id, credit_account_id, amount, pending_id, "
        f"project_id, memo, created_at FROM transfers WHERE pending_id = '{hold}'",
    )
    code, output = check(rendered.url)
    assert code == 1
    assert (
        f"hold posted twice: hold resolved 2 times [{hold}, {hold}:post, {hold}:post-again]"
        in output
    )


def test_negative_balance_is_named(rendered: Rendered) -> None:
    wallet = wallet_id(rendered.account_id)
    raw_sql(
        rendered.url,
        "INSERT INTO transfers (id, kind, debit_account_id, credit_account_id, amount, memo, "
        f"created_at) SELECT 'manual:overdraw', 'single', '{wallet}', 'system:revenue', 100000, "
        "'hand edit', max(created_at) FROM transfers",
    )
    code, output = check(rendered.url)
    assert code == 1
    assert f"negative balance: {wallet} has " in output and "[manual:overdraw]" in output
    assert "unbalanced" not in output  # a balanced overdraft breaks only the one rule


def _drop_unique_pending_id(url: str) -> None:
    if url.startswith("postgresql"):
        raw_sql(url, "ALTER TABLE transfers DROP CONSTRAINT uq_transfers_pending_id")
        return
    # SQLite cannot drop a table constraint: copy the rows into a table without it.
    raw_sql(
        url,
        "CREATE TABLE transfers_loose AS SELECT * FROM transfers",
        "DROP TABLE transfers",
        "ALTER TABLE transfers_loose RENAME TO transfers",
    )


def _count(url: str) -> int:
    return int(scalar(url, "SELECT count(*) FROM transfers"))


def _file_digest(url: str) -> str:
    if not url.startswith("sqlite"):
        return ""
    return hashlib.sha256(Path(url.removeprefix("sqlite:///")).read_bytes()).hexdigest()
