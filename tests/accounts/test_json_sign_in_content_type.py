"""The JSON sign-in takes no CSRF token because browsers cannot send JSON cross-site
without a CORS preflight. That holds only if a body that is not *labelled* JSON is
not read as JSON: text/plain and no Content-Type at all are "simple" requests a
hostile page can send with fetch(). FastAPI refuses both (0.132's strict_content_type;
text/plain since 0.65.2); these tests keep the floor in pyproject.toml honest.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from fvs.accounts import service as accounts
from fvs.models.sessions import WebSession

EMAIL, PASSWORD = "ada@example.com", "correct horse battery"
BODY = json.dumps({"email": EMAIL, "password": PASSWORD})


@pytest.fixture
def account(client) -> str:
    studio = client.app.state.studio
    made = studio.db.transact(lambda s: accounts.create_account(s, email=EMAIL, password=PASSWORD))
    return str(made.id)


def _sessions(client) -> int:
    with client.app.state.studio.db.read() as session:
        return int(session.scalar(select(func.count()).select_from(WebSession)) or 0)


@pytest.mark.settings(executor="none")
@pytest.mark.parametrize(
    "headers",
    [{"Content-Type": "text/plain"}, {"Content-Type": "text/plain;charset=UTF-8"}, {}],
    ids=["text-plain", "text-plain-charset", "no-content-type"],
)
def test_a_simple_cross_site_post_of_json_does_not_sign_in(client, account, headers):
    answer = client.post("/api/account/session", content=BODY, headers=headers)
    assert 400 <= answer.status_code < 500, answer.text
    assert "fvs_session" not in answer.cookies
    assert _sessions(client) == 0


@pytest.mark.settings(executor="none")
def test_the_same_body_labelled_json_signs_in(client, account):
    # The control: the refusals above are the content type's doing, not the body's.
    answer = client.post(
        "/api/account/session", content=BODY, headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 200 and answer.json()["account_id"] == account
    assert "fvs_session" in answer.cookies
    assert _sessions(client) == 1
