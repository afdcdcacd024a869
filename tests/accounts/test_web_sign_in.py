"""Signing up, in and out through the pages: cookies, stored sessions, CSRF, failures."""

from __future__ import annotations

import statistics
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fvs.accounts import sessions
from fvs.app import create_app
from fvs.models import WebSession
from tests.accounts.web_helpers import (
    PASSWORD,
    api_csrf,
    form_token,
    log_in,
    new_email,
    second_browser,
    sign_up,
)


def _session_rows(client) -> list[WebSession]:
    with client.app.state.studio.db.read() as session:
        return list(session.scalars(select(WebSession)))


def test_signup_sets_a_locked_down_cookie_and_stores_only_its_hmac(client):
    token = form_token(client, "/signup")
    response = client.post(
        "/signup",
        data={"email": "Maker@Example.com", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/settings"
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("fvs_session=")
    )
    attributes = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in attributes and "samesite=lax" in attributes
    assert "secure" not in attributes  # plain http in tests
    clear = client.cookies["fvs_session"]
    rows = _session_rows(client)
    assert len(rows) == 1
    secret = client.app.state.studio.settings.resolved_secret
    assert rows[0].id == sessions.session_id_for(clear, secret) != clear
    assert clear not in {rows[0].id, rows[0].csrf_token}
    assert (rows[0].expires_at - rows[0].created_at).days == 30
    me = client.get("/api/account/session").json()
    assert me["email"] == "maker@example.com" and me["csrf_token"] == rows[0].csrf_token
    page = client.get("/settings")
    assert page.status_code == 200 and "maker@example.com" in page.text


@pytest.mark.settings(trusted_proxies="10.0.0.1")
def test_the_cookie_is_secure_behind_a_trusted_https_proxy(settings):
    # From any other peer X-Forwarded-Proto is ignored: tests/ops/test_trusted_proxies.py.
    with TestClient(create_app(settings), client=("10.0.0.1", 4000)) as client:
        token = form_token(client, "/signup")
        response = client.post(
            "/signup",
            data={"email": new_email(), "password": PASSWORD, "csrf_token": token},
            headers={"X-Forwarded-Proto": "https"},
            follow_redirects=False,
        )
    assert response.status_code == 303
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("fvs_session=")
    )
    assert "secure" in [part.strip().lower() for part in cookie.split(";")]


def test_signup_failures_show_the_form_again_keeping_the_email(client):
    email = sign_up(client)
    other = second_browser(client)
    token = form_token(other, "/signup")
    for data, words in (
        ({"email": email, "password": PASSWORD}, "already exists"),
        ({"email": "fresh@example.com", "password": "short"}, "at least 8"),
        ({"email": "not-an-email", "password": PASSWORD}, "not a valid email"),
    ):
        response = other.post("/signup", data={**data, "csrf_token": token})
        assert response.status_code == 400
        assert words in response.text and f'value="{data["email"]}"' in response.text
    assert "fvs_session" not in other.cookies


def test_login_failures_are_identical_for_unknown_email_and_wrong_password(client):
    email = sign_up(client)
    browser = second_browser(client)
    token = form_token(browser, "/login")
    wrong = browser.post(
        "/login", data={"email": email, "password": "nope-nope", "csrf_token": token}
    )
    unknown = browser.post(
        "/login", data={"email": "ghost@example.com", "password": "nope-nope", "csrf_token": token}
    )
    assert wrong.status_code == unknown.status_code == 400
    # The form keeps what was typed; apart from that the pages are byte for byte the same.
    assert wrong.content.replace(email.encode(), b"@") == unknown.content.replace(
        b"ghost@example.com", b"@"
    )
    assert "email or password is wrong" in wrong.text
    api_wrong = browser.post("/api/account/session", json={"email": email, "password": "x" * 9})
    api_unknown = browser.post(
        "/api/account/session", json={"email": "ghost@example.com", "password": "x" * 9}
    )
    assert api_wrong.status_code == api_unknown.status_code == 401
    assert api_wrong.content == api_unknown.content
    assert api_wrong.json()["error"]["code"] == "wrong_credentials"
    assert "fvs_session" not in browser.cookies


def test_unknown_email_costs_the_same_argon2_verify_as_a_wrong_password(client):
    email = sign_up(client)
    browser = second_browser(client)

    def median_seconds(login_email: str) -> float:
        times = []
        for _ in range(3):
            started = time.perf_counter()
            response = browser.post(
                "/api/account/session", json={"email": login_email, "password": "wrong-pass"}
            )
            times.append(time.perf_counter() - started)
            assert response.status_code == 401
        return statistics.median(times)

    median_seconds(email)  # warm up both paths once
    wrong, unknown = median_seconds(email), median_seconds("ghost@example.com")
    # Without the dummy verify an unknown email answers ~30x faster; 4x leaves room for noise.
    assert 0.25 < wrong / unknown < 4, (wrong, unknown)


def test_json_sign_in_and_out(client):
    email = sign_up(client)
    browser = second_browser(client)
    response = browser.post("/api/account/session", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200
    assert response.json()["email"] == email
    headers = {"X-CSRF-Token": response.json()["csrf_token"]}
    assert browser.get("/api/account/keys").status_code == 200
    assert browser.delete("/api/account/session").status_code == 403
    assert browser.delete("/api/account/session", headers=headers).status_code == 204
    assert browser.get("/api/account/keys").status_code == 401
    # A form-encoded sign-in (what a cross-site page could send) is refused.
    forged = browser.post("/api/account/session", data={"email": email, "password": PASSWORD})
    assert forged.status_code == 422


def test_forms_without_the_right_csrf_token_are_refused(client):
    email = sign_up(client)
    good = form_token(client, "/settings")
    for path, data in (
        ("/settings/keys", {"name": "k"}),
        ("/settings/password", {"current_password": PASSWORD, "new_password": "n" * 10}),
        ("/settings/defaults", {"video_resolution": "480p"}),
        ("/logout", {}),
    ):
        for token in (None, "wrong-token", ""):
            body = data if token is None else {**data, "csrf_token": token}
            response = client.post(path, data=body, follow_redirects=False)
            assert response.status_code == 403, (path, token, response.text)
            assert response.json()["error"]["code"] == "csrf_failed"
    assert client.get("/api/account/keys").json() == {"keys": []}
    assert client.get("/api/account/defaults").json()["saved"] == {}
    # The pre-login forms: no fvs_csrf cookie, or a field that does not match it.
    browser = second_browser(client)
    data = {"email": email, "password": PASSWORD}
    assert browser.post("/login", data={**data, "csrf_token": good}).status_code == 403
    form_token(browser, "/login")
    assert browser.post("/login", data={**data, "csrf_token": "forged"}).status_code == 403
    assert browser.post("/login", data=data).status_code == 403
    assert browser.post("/signup", data={**data, "csrf_token": good}).status_code == 403
    # And JSON writes need the header.
    assert client.post("/api/account/keys", json={"name": "k"}).status_code == 403
    headers = {"X-CSRF-Token": "wrong"}
    assert client.post("/api/account/keys", json={"name": "k"}, headers=headers).status_code == 403


def test_pages_redirect_to_login_and_json_answers_401_when_signed_out(client):
    for path in ("/settings",):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/login"
    response = client.post("/settings/keys", data={"name": "k"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    for path in ("/api/account/session", "/api/account/keys", "/api/account/defaults"):
        response = client.get(path)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_signed_in"
    login = client.get("/login")
    assert login.status_code == 200
    assert 'name="email"' in login.text and 'name="password"' in login.text
    assert client.get("/static/studio.css").status_code == 200


def test_logout_ends_the_session_for_good(client):
    sign_up(client)
    stolen = client.cookies["fvs_session"]
    token = form_token(client, "/settings")
    response = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert _session_rows(client) == []
    # Even a copy of the old cookie no longer works.
    replay = second_browser(client)
    replay.cookies.set("fvs_session", stolen)
    assert replay.get("/api/account/session").status_code == 401
    assert replay.get("/settings", follow_redirects=False).status_code == 303


def test_password_change_signs_out_every_other_browser(client):
    email = sign_up(client)
    laptop, phone = second_browser(client), second_browser(client)
    log_in(laptop, email)
    log_in(phone, email)
    assert len(_session_rows(client)) == 3
    token = form_token(client, "/settings")
    wrong = client.post(
        "/settings/password",
        data={"current_password": "not-it-at-all", "new_password": "n" * 10, "csrf_token": token},
    )
    assert wrong.status_code == 400 and "current password is wrong" in wrong.text
    response = client.post(
        "/settings/password",
        data={"current_password": PASSWORD, "new_password": "brand new pass", "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert client.get("/settings").status_code == 200  # this browser stays in
    assert laptop.get("/api/account/session").status_code == 401
    assert phone.get("/settings", follow_redirects=False).status_code == 303
    assert len(_session_rows(client)) == 1
    fresh = second_browser(client)
    assert (
        fresh.post("/api/account/session", json={"email": email, "password": PASSWORD}).status_code
        == 401
    )
    log_in(fresh, email, "brand new pass")
    assert api_csrf(fresh)
