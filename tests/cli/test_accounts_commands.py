"""`fvs accounts` and `fvs credits`: an operator makes accounts their owners can sign in to."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from fvs import cli
from fvs.accounts import service as accounts
from fvs.billing import service as billing
from tests.cli.output import one_line


def sign_in(client, email: str, password: str) -> int:
    """POST the JSON sign-in; the status code (the session cookie stays in the client)."""
    body = {"email": email, "password": password}
    return client.post("/api/account/session", json=body).status_code


def test_create_says_how_to_sign_in_and_how_to_set_a_password(fvs_cli):
    made = fvs_cli("accounts", "create", "Ada@Example.com", "--credits", "50")
    assert made.exit_code == 0, made.output
    # stdout stays the one line a script reads; the hints go to stderr.
    assert re.fullmatch(r"acct_\w+ ada@example\.com", one_line(made.stdout))
    assert "`fvs accounts set-password ada@example.com` sets one" in made.stderr
    assert "http://127.0.0.1:8000/login" in made.stderr and "fvs serve" in made.stderr

    with_password = fvs_cli("accounts", "create", "bo@example.com", "--password", "long-enough")
    assert with_password.exit_code == 0, with_password.output
    assert "set-password" not in with_password.stderr
    assert "http://127.0.0.1:8000/login" in with_password.stderr


@pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
def test_set_password_lets_the_owner_sign_in_and_signs_out_their_browsers(fvs_cli, client):
    assert fvs_cli("accounts", "create", "owner@example.com").exit_code == 0
    assert sign_in(client, "owner@example.com", "") == 401  # no password: nothing signs in

    prompted = fvs_cli(
        "accounts", "set-password", "Owner@Example.com", input="first-secret\nfirst-secret\n"
    )
    assert prompted.exit_code == 0, prompted.output
    # Asked twice, echoed never.
    assert prompted.output.count("New password") == 1 and "confirmation" in prompted.output
    assert "first-secret" not in prompted.output
    assert sign_in(client, "owner@example.com", "first-secret") == 200
    assert client.get("/api/account/session").status_code == 200

    piped = fvs_cli(
        "accounts", "set-password", "owner@example.com", "--password-stdin", input="second-secret\n"
    )
    assert piped.exit_code == 0, piped.output
    # A reset signs out every browser that signed in with the old password.
    assert client.get("/api/account/session").status_code == 401
    assert sign_in(client, "owner@example.com", "first-secret") == 401
    assert sign_in(client, "owner@example.com", "second-secret") == 200


def test_set_password_refuses_what_sign_up_refuses(fvs_cli, studio):
    assert fvs_cli("accounts", "create", "cy@example.com").exit_code == 0

    mismatch = fvs_cli("accounts", "set-password", "cy@example.com", input="aaaaaaaa\nbbbbbbbb\n")
    assert mismatch.exit_code != 0 and "do not match" in mismatch.output
    short = fvs_cli(
        "accounts", "set-password", "cy@example.com", "--password-stdin", input="short\n"
    )
    assert short.exit_code == 1
    assert one_line(short.stderr) == "error: password: use at least 8 characters"
    unknown = fvs_cli("accounts", "set-password", "nobody@example.com", input="x\nx\n")
    assert unknown.exit_code == 1 and "New password" not in unknown.output  # asked nothing
    assert one_line(unknown.stderr) == "error: no account for nobody@example.com"

    with studio.db.read() as session:
        for tried in ("aaaaaaaa", "bbbbbbbb", "short"):
            with pytest.raises(accounts.WrongCredentials):
                accounts.authenticate(session, email="cy@example.com", password=tried)


def test_accounts_list_shows_each_account_oldest_first(fvs_cli):
    empty = fvs_cli("accounts", "list")
    assert empty.exit_code == 0 and empty.stdout == "" and "fvs accounts create" in empty.stderr

    fvs_cli("accounts", "create", "first@example.com", "--credits", "40", "--password", "pw-12345")
    fvs_cli("accounts", "create", "second@example.com")
    listing = fvs_cli("accounts", "list")
    assert listing.exit_code == 0, listing.output
    rows = [line.split("\t") for line in listing.stdout.splitlines()]
    assert [row[1:2] + row[3:] for row in rows] == [
        ["first@example.com", "password", "40 credits"],
        ["second@example.com", "no password", "0 credits"],
    ]
    for row in rows:
        assert row[0].startswith("acct_") and re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", row[2])


def test_credits_balance_shows_available_held_and_posted(fvs_cli, studio):
    def spend(session):
        account = accounts.create_account(session, email="dee@example.com")
        billing.grant(session, account_id=account.id, amount=100, transfer_id="grant:dee")
        billing.reserve(
            session,
            account_id=account.id,
            holds={"hold:proj_dee:filming": 30, "hold:proj_dee:planning": 20},
            project_id="proj_dee",
            timeout=timedelta(hours=1),
        )
        billing.settle(session, hold_id="hold:proj_dee:planning", amount=15)

    studio.db.transact(spend)
    shown = fvs_cli("credits", "balance", "Dee@Example.com")
    assert shown.exit_code == 0, shown.output
    # 100 granted, 15 spent; 30 still held by the unfinished stage.
    assert one_line(shown.stdout) == "dee@example.com: 55 available, 30 held, 85 balance"

    missing = fvs_cli("credits", "balance", "nobody@example.com")
    assert missing.exit_code == 1
    assert one_line(missing.stderr) == "error: no account for nobody@example.com"


def test_every_option_and_argument_explains_itself():
    missing: list[str] = []

    def walk(command: Any, path: str) -> None:
        for param in command.params:
            if param.name != "help" and not getattr(param, "help", None):
                missing.append(f"{path} {param.name}")
        # typer carries its own click: a group is whatever has subcommands.
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, f"{path} {name}")

    walk(typer.main.get_command(cli.app), "fvs")
    assert missing == []
    assert "PART=PATH" in CliRunner().invoke(cli.app, ["render", "--help"]).output
