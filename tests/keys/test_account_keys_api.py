"""The signed-in account's keys as JSON: list, create (secret once), revoke, expiry."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import update

from fvs.models import AgentKey
from fvs.models.base import utcnow
from tests.accounts.web_helpers import api_csrf, form_token, second_browser, sign_up

KEY_FIELDS = [
    "id",
    "name",
    "prefix",
    "created_at",
    "last_used_at",
    "expires_at",
    "revoked_at",
    "state",
]
STATUS_PATH = "/api/agent/renders/proj_0000000000000000"


def _create(client, headers, **body):
    return client.post("/api/account/keys", json={"name": "agent", **body}, headers=headers)


@pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
def test_list_create_revoke_and_the_secret_shown_once(client):
    sign_up(client)
    headers = api_csrf(client)
    created = _create(client, headers, name="laptop agent", expires_in_days=30)
    assert created.status_code == 201, created.text
    body = created.json()
    secret, key = body["secret"], body["key"]
    assert secret.startswith("fvs_") and list(key) == KEY_FIELDS
    assert key["state"] == "active" and secret.startswith(key["prefix"])
    lifetime = datetime.fromisoformat(key["expires_at"]) - datetime.fromisoformat(key["created_at"])
    assert abs(lifetime - timedelta(days=30)) < timedelta(minutes=1)
    second = _create(client, headers, name="ci").json()["key"]
    assert second["expires_at"] is None

    listed = client.get("/api/account/keys")
    assert listed.status_code == 200
    assert [k["id"] for k in listed.json()["keys"]] == [key["id"], second["id"]]
    assert secret not in listed.text and secret not in client.get("/settings").text
    with client.app.state.studio.db.read() as session:
        stored = session.get(AgentKey, key["id"])
        assert secret not in {stored.secret_hash, stored.prefix}

    assert client.get(STATUS_PATH, headers={"X-FVS-Agent-Key": secret}).status_code == 404
    revoked = client.post(f"/api/account/keys/{key['id']}/revoke", headers=headers)
    assert revoked.status_code == 200
    assert revoked.json()["key"]["state"] == "revoked" and revoked.json()["key"]["revoked_at"]
    # The very next request with the revoked key is refused.
    assert client.get(STATUS_PATH, headers={"X-FVS-Agent-Key": secret}).status_code == 401
    states = {k["id"]: k["state"] for k in client.get("/api/account/keys").json()["keys"]}
    assert states == {key["id"]: "revoked", second["id"]: "active"}


# The hour passes by editing the row, which a process's key cache cannot see (a real
# expiry it can: tests/keys/test_key_cache.py), so this test checks every request.
@pytest.mark.settings(key_cache_seconds=0)
@pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
def test_an_expired_key_is_refused(client):
    sign_up(client)
    headers = api_csrf(client)
    body = _create(client, headers, expires_at=(utcnow() + timedelta(hours=1)).isoformat()).json()
    agent = {"X-FVS-Agent-Key": body["secret"]}
    assert client.get(STATUS_PATH, headers=agent).status_code == 404
    # Let the hour pass.
    client.app.state.studio.db.transact(
        lambda s: s.execute(
            update(AgentKey)
            .where(AgentKey.id == body["key"]["id"])
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    )
    refused = client.get(STATUS_PATH, headers=agent)
    assert refused.status_code == 401 and "expired" in refused.json()["error"]["message"]
    assert client.get("/api/account/keys").json()["keys"][0]["state"] == "expired"


BAD_KEY_REQUESTS = [
    ({"expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
    ({"expires_in_days": 0}, "expires_in_days"),
    ({"expires_in_days": 5, "expires_at": "2999-01-01T00:00:00Z"}, "expires_in_days"),
    ({"name": "   "}, "name"),
    ({"name": "n" * 101}, "name"),
    ({"colour": "red"}, "colour"),
]


def test_bad_key_requests_are_422_naming_the_field(client):
    sign_up(client)
    headers = api_csrf(client)
    for body, field in BAD_KEY_REQUESTS:
        response = _create(client, headers, **body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["field"] == field, body
    assert client.get("/api/account/keys").json() == {"keys": []}


@pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
def test_another_accounts_key_cannot_be_revoked(client):
    sign_up(client)
    owner_key = _create(client, api_csrf(client)).json()
    intruder = second_browser(client)
    sign_up(intruder)
    response = intruder.post(
        f"/api/account/keys/{owner_key['key']['id']}/revoke", headers=api_csrf(intruder)
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert intruder.get("/api/account/keys").json() == {"keys": []}
    token = form_token(intruder, "/settings")
    page = intruder.post(
        f"/settings/keys/{owner_key['key']['id']}/revoke", data={"csrf_token": token}
    )
    assert page.status_code == 404
    agent = {"X-FVS-Agent-Key": owner_key["secret"]}
    assert client.get(STATUS_PATH, headers=agent).status_code == 404  # still works


def test_the_settings_page_creates_a_key_shown_once_and_revokes_it(client):
    sign_up(client)
    token = form_token(client, "/settings")
    created = client.post(
        "/settings/keys",
        data={"name": "from the page", "expires_in_days": "7", "csrf_token": token},
    )
    assert created.status_code == 200
    assert created.headers["cache-control"] == "no-store"
    (key,) = client.get("/api/account/keys").json()["keys"]
    secret = created.text.split('id="new-key" type="text" readonly value="')[1].split('"')[0]
    assert secret.startswith(key["prefix"]) and 'id="copy-key"' in created.text
    assert client.get(STATUS_PATH, headers={"X-FVS-Agent-Key": secret}).status_code == 404
    assert secret not in client.get("/settings").text
    bad = client.post(
        "/settings/keys", data={"name": "x", "expires_in_days": "soon", "csrf_token": token}
    )
    assert bad.status_code == 400 and "whole number of days" in bad.text
    revoked = client.post(
        f"/settings/keys/{key['id']}/revoke", data={"csrf_token": token}, follow_redirects=False
    )
    assert revoked.status_code == 303
    assert "was revoked" in client.get(revoked.headers["location"]).text
    assert client.get(STATUS_PATH, headers={"X-FVS-Agent-Key": secret}).status_code == 401
