"""Settings → Webhooks in the browser: add an endpoint, see its secret once, act on it."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from fvs.models import WebhookEndpoint
from tests.accounts.web_helpers import form_token, sign_up
from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.settings(webhook_allow_private=True, webhook_poll_seconds=0.05)
SECRET = re.compile(r'id="new-secret" type="text" readonly value="(whsec_[^"]+)"')


def test_an_endpoint_added_in_settings_gets_a_verified_test_event(client: TestClient) -> None:
    sign_up(client)
    assert 'href="/settings/webhooks"' in client.get("/settings").text
    token = form_token(client, "/settings/webhooks")
    with Receiver() as receiver:
        page = client.post(
            "/settings/webhooks",
            data={"url": receiver.url, "events": ["render.completed"], "csrf_token": token},
        )
        assert page.status_code == 200, page.text
        secret = SECRET.search(page.text).group(1)
        again = client.get("/settings/webhooks").text
        assert secret not in again and receiver.url in again  # shown that once
        endpoint_id = re.search(r'<article class="endpoint" id="(wh_[0-9a-f]+)">', again).group(1)
        tested = client.post(
            f"/settings/webhooks/{endpoint_id}/test",
            data={"csrf_token": token},
            follow_redirects=False,
        )
        assert tested.status_code == 303
        [got] = receiver.wait_for(1)
    assert got.verify(secret)["type"] == "webhook.test"


def test_a_bad_url_is_said_on_the_page(client: TestClient) -> None:
    sign_up(client)
    token = form_token(client, "/settings/webhooks")
    page = client.post(
        "/settings/webhooks", data={"url": "ftp://example.com/x", "csrf_token": token}
    )
    assert page.status_code == 422
    assert "must be an https URL" in page.text


def test_settings_says_when_an_endpoint_was_disabled_for_failing(client: TestClient) -> None:
    sign_up(client)
    token = form_token(client, "/settings/webhooks")
    with Receiver() as receiver:
        client.post("/settings/webhooks", data={"url": receiver.url, "csrf_token": token})
    studio = client.app.state.studio
    with studio.db.session() as session:
        session.execute(
            update(WebhookEndpoint).values(
                enabled=False, disabled_reason="disabled automatically: every attempt failed"
            )
        )
    page = client.get("/settings/webhooks").text
    assert "is disabled: disabled automatically: every attempt failed" in page
    settings = client.get("/settings").text
    assert "was disabled:\n  disabled automatically: every attempt failed" in settings


def test_a_form_without_its_csrf_token_is_refused(client: TestClient) -> None:
    sign_up(client)
    refused = client.post("/settings/webhooks", data={"url": "https://example.com/x"})
    assert refused.status_code == 403


def test_each_form_action_changes_the_endpoint_or_says_why_not(client: TestClient) -> None:
    sign_up(client)
    token = form_token(client, "/settings/webhooks")
    with Receiver() as receiver:
        first = client.post("/settings/webhooks", data={"url": receiver.url, "csrf_token": token})
    old = SECRET.search(first.text).group(1)
    endpoint_id = re.search(r'id="(wh_[0-9a-f]+)"', first.text).group(1)
    base = f"/settings/webhooks/{endpoint_id}"

    rotated = client.post(f"{base}/rotate", data={"csrf_token": token})
    assert rotated.status_code == 200
    assert SECRET.search(rotated.text).group(1) not in (old, None)

    disabled = client.post(f"{base}/disable", data={"csrf_token": token}, follow_redirects=False)
    assert disabled.headers["location"] == f"/settings/webhooks?done=disable&show={endpoint_id}"
    assert "The endpoint was disabled" in client.get(disabled.headers["location"]).text

    unknown = client.post(f"{base}/deliveries/999/resend", data={"csrf_token": token})
    assert unknown.status_code == 404 and 'role="alert"' in unknown.text

    bad = client.post(
        "/settings/webhooks/threshold", data={"threshold": "ten", "csrf_token": token}
    )
    assert bad.status_code == 422 and "a whole number of credits" in bad.text
    saved = client.post(
        "/settings/webhooks/threshold",
        data={"threshold": "40", "csrf_token": token},
        follow_redirects=False,
    )
    assert saved.headers["location"] == "/settings/webhooks?done=threshold"
    assert 'value="40"' in client.get("/settings/webhooks").text

    gone = client.post(f"{base}/delete", data={"csrf_token": token}, follow_redirects=False)
    assert gone.headers["location"] == "/settings/webhooks?done=delete"
    assert endpoint_id not in client.get("/settings/webhooks").text
