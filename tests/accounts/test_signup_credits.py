"""FVS_SIGNUP_CREDITS and the 402 that says how credits are added: no dead end for a newcomer."""

from __future__ import annotations

import html
import json

import pytest
from sqlalchemy import select

from fvs.billing import service as billing
from fvs.models import Transfer
from tests.accounts.web_helpers import form_token, sign_up
from tests.conftest import SMALL_RENDER
from tests.web.test_studio_pages import FORM


def _wallet_and_grants(client) -> tuple[int, list[Transfer]]:
    """The signed-in account's available credits, and every sign-up grant in the ledger."""
    account_id = client.get("/api/account/session").json()["account_id"]
    studio = client.app.state.studio
    with studio.db.read() as session:
        grants = list(session.scalars(select(Transfer).where(Transfer.id.like("grant:signup:%"))))
        available = billing.wallet_balance(session, account_id=account_id).available
        session.expunge_all()
    return available, grants


@pytest.mark.settings(signup_credits=40)
def test_a_browser_sign_up_is_granted_the_signup_credits_once_in_the_ledger(client):
    email = sign_up(client)
    available, grants = _wallet_and_grants(client)
    assert available == 40
    assert [(g.amount, g.memo, g.kind) for g in grants] == [(40, "sign-up credits", "single")]
    assert grants[0].id.endswith(client.get("/api/account/session").json()["account_id"])
    # Granting again (a retried sign-up transaction) moves nothing: the id is the account's.
    account_id = client.get("/api/account/session").json()["account_id"]
    client.app.state.studio.db.transact(
        lambda s: billing.grant_signup_credits(s, account_id=account_id, amount=40)
    )
    assert _wallet_and_grants(client)[0] == 40 and email


def test_by_default_a_sign_up_gets_no_credits_and_no_grant(client):
    sign_up(client)
    assert _wallet_and_grants(client) == (0, [])


def test_a_402_from_the_api_says_how_the_operator_adds_credits(client, make_agent):
    agent = make_agent(credits=0)
    data = {"request_json": json.dumps(SMALL_RENDER)}
    refused = client.post("/api/agent/renders", files=data, headers=agent.headers)
    assert refused.status_code == 402
    error = refused.json()["error"]
    needed = error["needed"]
    how = error["how_to_add_credits"]
    assert f"`fvs credits grant {agent.email} {needed}`" in how
    assert error["message"] == (
        f"this render needs {needed} credits; the wallet has 0 available. {how}"
    )


@pytest.mark.settings(topup_url="https://pay.example.com/credits")
def test_a_402_points_at_the_top_up_page_when_there_is_one(client, make_agent):
    agent = make_agent(credits=5)
    data = {"request_json": json.dumps(SMALL_RENDER)}
    error = client.post("/api/agent/renders", files=data, headers=agent.headers).json()["error"]
    assert error["how_to_add_credits"] == "Add credits at https://pay.example.com/credits"
    assert error["available"] == 5 and "fvs credits grant" not in error["message"]


def test_the_new_project_page_says_how_credits_are_added(client):
    email = sign_up(client)
    data = {**FORM, "csrf_token": form_token(client, "/projects/new")}
    poor = client.post("/projects", data=data, follow_redirects=False)
    assert poor.status_code == 402
    assert f"`fvs credits grant {email} " in html.unescape(poor.text)
