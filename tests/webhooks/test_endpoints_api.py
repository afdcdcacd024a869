"""Account webhook endpoints over HTTP, against a real receiver verifying signatures."""

from __future__ import annotations

import json
import time

import pytest
from fastapi.testclient import TestClient
from standardwebhooks.webhooks import WebhookVerificationError

from tests.accounts.web_helpers import api_csrf, sign_up
from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.settings(
    webhook_allow_private=True, webhook_poll_seconds=0.05, webhook_retry_base_seconds=0.05
)


def _create(client: TestClient, url: str, events: list[str] | None = None) -> dict:
    response = client.post(
        "/api/account/webhooks",
        json={"url": url, "events": events or []},
        headers=api_csrf(client),
    )
    assert response.status_code == 201, response.text
    return response.json()


def _deliveries(client: TestClient, endpoint_id: str) -> list[dict]:
    response = client.get(f"/api/account/webhooks/{endpoint_id}/deliveries")
    assert response.status_code == 200, response.text
    return response.json()["deliveries"]


def _test_event(client: TestClient, endpoint_id: str) -> str:
    response = client.post(f"/api/account/webhooks/{endpoint_id}/test", headers=api_csrf(client))
    assert response.status_code == 202, response.text
    return response.json()["event_id"]


def test_a_test_event_arrives_signed_with_the_secret_shown_once(client: TestClient) -> None:
    sign_up(client)
    with Receiver() as receiver:
        created = _create(client, receiver.url)
        secret = created["secret"]
        assert secret.startswith("whsec_")
        listed = client.get("/api/account/webhooks").json()["endpoints"]
        assert [e["id"] for e in listed] == [created["endpoint"]["id"]]
        assert secret not in json.dumps(listed)  # shown once, never listed
        event_id = _test_event(client, created["endpoint"]["id"])
        [got] = receiver.wait_for(1)
    body = got.verify(secret)
    assert got.msg_id == event_id
    assert body["type"] == "webhook.test"
    assert set(body) == {"type", "created_at", "data"}


def test_a_tampered_body_fails_verification(client: TestClient) -> None:
    sign_up(client)
    with Receiver() as receiver:
        created = _create(client, receiver.url)
        _test_event(client, created["endpoint"]["id"])
        [got] = receiver.wait_for(1)
    got.verify(created["secret"])
    tampered = got.body.replace(b"webhook.test", b"webhook.tset")
    with pytest.raises(WebhookVerificationError):
        type(got)(got.headers, tampered).verify(created["secret"])
    with pytest.raises(WebhookVerificationError):  # and another secret never verifies it
        got.verify("whsec_" + "QUJD" * 8)


def test_500_500_then_200_is_delivered_once_after_three_attempts(client: TestClient) -> None:
    sign_up(client)
    with Receiver([500, 500]) as receiver:
        created = _create(client, receiver.url)
        endpoint_id = created["endpoint"]["id"]
        _test_event(client, endpoint_id)
        attempts = receiver.wait_for(3)
        time.sleep(0.5)  # no fourth attempt follows the 200
        assert len(receiver.received) == 3
    assert len({r.msg_id for r in attempts}) == 1  # one event, one webhook-id
    assert len({r.body for r in attempts}) == 1  # the same bytes every time
    for one in attempts:
        one.verify(created["secret"])
    [delivery] = _wait_for_state(client, endpoint_id, "delivered")
    assert delivery["attempt_count"] == 3
    assert [a["status_code"] for a in delivery["attempts"]] == [200, 500, 500]  # newest first
    assert all(a["latency_ms"] >= 0 and a["attempted_at"] for a in delivery["attempts"])


def _wait_for_state(client: TestClient, endpoint_id: str, state: str) -> list[dict]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = _deliveries(client, endpoint_id)
        if found and all(d["state"] == state for d in found):
            return found
        time.sleep(0.05)
    raise AssertionError(f"deliveries not {state}: {found}")


def test_a_delivery_can_be_resent_by_hand(client: TestClient) -> None:
    sign_up(client)
    with Receiver() as receiver:
        created = _create(client, receiver.url)
        endpoint_id = created["endpoint"]["id"]
        _test_event(client, endpoint_id)
        receiver.wait_for(1)
        [delivery] = _wait_for_state(client, endpoint_id, "delivered")
        response = client.post(
            f"/api/account/webhooks/{endpoint_id}/deliveries/{delivery['id']}/resend",
            headers=api_csrf(client),
        )
        assert response.status_code == 202, response.text
        first, again = receiver.wait_for(2)
    assert first.msg_id == again.msg_id and first.body == again.body


def test_rotation_signs_with_both_secrets_for_a_day(client: TestClient) -> None:
    sign_up(client)
    with Receiver() as receiver:
        created = _create(client, receiver.url)
        endpoint_id = created["endpoint"]["id"]
        rotated = client.post(
            f"/api/account/webhooks/{endpoint_id}/rotate", headers=api_csrf(client)
        )
        assert rotated.status_code == 200, rotated.text
        new_secret = rotated.json()["secret"]
        assert new_secret != created["secret"]
        assert rotated.json()["endpoint"]["previous_secret_until"] is not None
        _test_event(client, endpoint_id)
        [got] = receiver.wait_for(1)
    signatures = got.headers["webhook-signature"].split(" ")
    assert len(signatures) == 2 and all(s.startswith("v1,") for s in signatures)
    got.verify(new_secret)
    got.verify(created["secret"])


def test_a_disabled_endpoint_gets_nothing_until_enabled(client: TestClient) -> None:
    sign_up(client)
    with Receiver() as receiver:
        created = _create(client, receiver.url)
        endpoint_id = created["endpoint"]["id"]
        off = client.post(f"/api/account/webhooks/{endpoint_id}/disable", headers=api_csrf(client))
        assert off.json()["enabled"] is False
        refused = client.post(f"/api/account/webhooks/{endpoint_id}/test", headers=api_csrf(client))
        assert refused.status_code == 409
        on = client.post(f"/api/account/webhooks/{endpoint_id}/enable", headers=api_csrf(client))
        assert on.json()["enabled"] is True
        _test_event(client, endpoint_id)
        receiver.wait_for(1)
    gone = client.delete(f"/api/account/webhooks/{endpoint_id}", headers=api_csrf(client))
    assert gone.status_code == 204
    assert client.get(f"/api/account/webhooks/{endpoint_id}").status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "https://10.1.2.3/hooks",
        "https://169.254.169.254/latest/meta-data",
        "https://[fd00::1]/hooks",
        "http://example.com/hooks",  # plain http off this machine
        "ftp://example.com/hooks",
        "https://user:pw@example.com/hooks",
    ],
)
@pytest.mark.settings(webhook_allow_private=False)
def test_unsafe_urls_are_refused_naming_the_field(client: TestClient, url: str) -> None:
    sign_up(client)
    response = client.post("/api/account/webhooks", json={"url": url}, headers=api_csrf(client))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == "url"


@pytest.mark.settings(webhook_allow_private=False)
def test_a_host_resolving_to_loopback_is_refused(client: TestClient) -> None:
    sign_up(client)
    response = client.post(
        "/api/account/webhooks", json={"url": "https://localhost/hooks"}, headers=api_csrf(client)
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "url"
    assert "loopback" in response.json()["error"]["message"]


def test_unknown_event_types_are_refused_naming_the_field(client: TestClient) -> None:
    sign_up(client)
    with Receiver() as receiver:
        response = client.post(
            "/api/account/webhooks",
            json={"url": receiver.url, "events": ["render.exploded"]},
            headers=api_csrf(client),
        )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "events"


def test_another_accounts_endpoint_is_not_found(client: TestClient) -> None:
    sign_up(client)
    with Receiver() as receiver:
        created = _create(client, receiver.url)
    other = TestClient(client.app)
    sign_up(other)
    endpoint_id = created["endpoint"]["id"]
    assert other.get(f"/api/account/webhooks/{endpoint_id}").status_code == 404
    assert other.get(f"/api/account/webhooks/{endpoint_id}/deliveries").status_code == 404
    refused = other.post(f"/api/account/webhooks/{endpoint_id}/rotate", headers=api_csrf(other))
    assert refused.status_code == 404


def test_the_routes_need_a_signed_in_session(client: TestClient) -> None:
    assert client.get("/api/account/webhooks").status_code == 401
