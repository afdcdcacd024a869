"""Every response carries the security headers; pages get a strict CSP, /docs its own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from fvs.app import create_app
from fvs.config import Settings

PATHS = [
    "/",
    "/login",
    "/signup",
    "/projects",  # a redirect to /login
    "/no-such-page",
    "/api/agent/wallet",  # 401 JSON
    "/api/agent/models",
    "/media/x.mp4?exp=1&kid=k1&sig=00",  # 403 JSON
    "/static/studio.css",
    "/openapi.json",
    "/healthz",
]
STRICT = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
]


def directives(policy: str) -> dict[str, str]:
    parts = (part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    return {name: rest for name, rest in parts}


@pytest.fixture
def app_client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield client


@pytest.mark.settings(executor="none")
@pytest.mark.parametrize("path", PATHS)
def test_every_response_carries_the_security_headers(app_client, path):
    answer = app_client.get(path)
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "no-referrer"
    permissions = answer.headers["permissions-policy"]
    assert {"camera=()", "microphone=()", "geolocation=()"} <= {
        p.strip() for p in permissions.split(",")
    }
    policy = answer.headers["content-security-policy"]
    for directive in STRICT:
        name, value = directive.split(" ", 1)
        assert directives(policy)[name] == value, policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "strict-transport-security" not in answer.headers  # plain http


@pytest.mark.settings(executor="none")
@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_docs_pages_alone_allow_their_inline_start_up_script(app_client, path):
    answer = app_client.get(path)
    assert answer.status_code == 200 and "<script" in answer.text
    found = directives(answer.headers["content-security-policy"])
    assert found["script-src"] == "'self' 'unsafe-inline'"
    assert found["frame-ancestors"] == "'none'" and found["object-src"] == "'none'"
    assert answer.headers["x-content-type-options"] == "nosniff"


@pytest.mark.settings(executor="none")
def test_hsts_only_over_https(settings):
    with TestClient(create_app(settings), base_url="https://testserver") as secure:
        assert secure.get("/login").headers["strict-transport-security"] == (
            "max-age=31536000; includeSubDomains"
        )


@pytest.mark.settings(executor="none", trusted_proxies="10.0.0.0/8")
def test_hsts_follows_a_trusted_proxy_and_ignores_a_forged_proto(settings):
    forged = {"X-Forwarded-Proto": "https"}
    with TestClient(create_app(settings), client=("198.51.100.1", 1)) as stranger:
        assert "strict-transport-security" not in stranger.get("/login", headers=forged).headers
    with TestClient(create_app(settings), client=("10.0.0.2", 1)) as behind_proxy:
        assert "strict-transport-security" in behind_proxy.get("/login", headers=forged).headers


@pytest.mark.settings(executor="none", public_base_url="https://media.example.org/")
def test_a_public_base_url_elsewhere_is_a_media_source(app_client):
    found = directives(app_client.get("/login").headers["content-security-policy"])
    assert found["media-src"] == "'self' https://media.example.org"
    assert found["img-src"] == "'self' https://media.example.org"
    assert found["script-src"] == "'self'"
