"""Password guessing is throttled per account and per address, and hashes run a few at a time."""

from __future__ import annotations

import uuid

import pytest
import redis
from fastapi.testclient import TestClient

from fvs.accounts import service as accounts
from fvs.app import create_app
from tests.accounts.web_helpers import PASSWORD, form_token, new_email

REDIS_URL = "redis://127.0.0.1:6379/0"


def _guess(client: TestClient, email: str, password: str = "wrong password"):
    return client.post("/api/account/session", json={"email": email, "password": password})


def _assert_rate_limited(response) -> None:
    assert response.status_code == 429, response.text
    assert response.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(response.headers["Retry-After"]) <= 60


def test_the_eleventh_attempt_on_one_account_in_a_minute_is_a_429(client):
    email = new_email()
    client.app.state.studio.db.transact(
        lambda s: accounts.create_account(s, email=email, password=PASSWORD)
    )
    answers = [_guess(client, email).status_code for _ in range(10)]
    assert answers == [401] * 10
    _assert_rate_limited(_guess(client, email))
    # Even the right password waits: the window counts attempts, not failures.
    _assert_rate_limited(_guess(client, email, PASSWORD))
    assert _guess(client, new_email()).status_code == 401  # other accounts are not blocked


@pytest.mark.settings(sign_in_rate_per_address="5/minute", sign_in_rate_per_account="100/minute")
def test_many_accounts_from_one_address_hit_the_address_limit(client):
    answers = [_guess(client, new_email()).status_code for _ in range(5)]
    assert answers == [401] * 5
    _assert_rate_limited(_guess(client, new_email()))


@pytest.mark.settings(sign_in_rate_per_account="3/minute")
@pytest.mark.parametrize("page", ["/login", "/signup"])
def test_the_forms_answer_429_with_retry_after(client, page):
    email = new_email()
    statuses = []
    for _ in range(4):
        token = form_token(client, page)
        data = {"email": email, "password": "short", "csrf_token": token}
        response = client.post(page, data=data, follow_redirects=False)
        statuses.append(response.status_code)
    assert statuses == [400, 400, 400, 429]
    assert int(response.headers["Retry-After"]) >= 1
    assert "too many sign-in attempts" in response.text


@pytest.mark.settings(password_hash_concurrency=1, password_hash_wait_seconds=0)
def test_a_sign_in_finding_every_hash_slot_taken_is_a_503_with_retry_after(client):
    with client.app.state.sign_in_guard.hashing_slot():
        busy = _guess(client, new_email())
    assert busy.status_code == 503, busy.text
    assert busy.json()["error"]["code"] == "service_busy"
    assert int(busy.headers["Retry-After"]) >= 1
    assert _guess(client, new_email()).status_code == 401  # the slot is free again


@pytest.fixture
def redis_url() -> str:
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.ConnectionError:
        pytest.skip("Redis is not reachable")
    return REDIS_URL


def test_two_apps_sharing_redis_share_the_counts(settings, redis_url):
    shared = settings.model_copy(
        update={"rate_limit_url": redis_url, "sign_in_rate_per_address": "1000/minute"}
    )
    email = f"shared-{uuid.uuid4().hex[:8]}@example.com"  # fresh keys: Redis outlives the test
    with TestClient(create_app(shared)) as first, TestClient(create_app(shared)) as second:
        answers = [_guess(app, email).status_code for app in (first, second) * 5]
        assert answers == [401] * 10
        _assert_rate_limited(_guess(first, email))
        _assert_rate_limited(_guess(second, email))
