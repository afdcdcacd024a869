"""Browser-like helpers for the account pages: read CSRF tokens, sign up, sign in."""

from __future__ import annotations

import re
import uuid

from fastapi.testclient import TestClient

PASSWORD = "correct horse battery"
HIDDEN_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def form_token(client: TestClient, path: str) -> str:
    """The hidden csrf_token of the form served at path."""
    page = client.get(path)
    assert page.status_code == 200, page.text
    found = HIDDEN_CSRF.search(page.text)
    assert found, page.text
    return found.group(1)


def new_email() -> str:
    return f"person-{uuid.uuid4().hex[:8]}@example.com"


def sign_up(client: TestClient, email: str | None = None, password: str = PASSWORD) -> str:
    """Sign up through the form; the client holds the session cookie afterwards."""
    email = email or new_email()
    token = form_token(client, "/signup")
    response = client.post(
        "/signup",
        data={"email": email, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/settings"
    return email


def log_in(client: TestClient, email: str, password: str = PASSWORD) -> None:
    token = form_token(client, "/login")
    response = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def second_browser(client: TestClient) -> TestClient:
    """Another cookie jar on the same running app (its lifespan is the fixture's)."""
    return TestClient(client.app)


def api_csrf(client: TestClient) -> dict[str, str]:
    """The X-CSRF-Token header for the signed-in browser's JSON calls."""
    response = client.get("/api/account/session")
    assert response.status_code == 200, response.text
    return {"X-CSRF-Token": response.json()["csrf_token"]}
