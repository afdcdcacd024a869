"""X-Forwarded-For/-Proto/-Host count only from the proxies in FVS_TRUSTED_PROXIES."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pydantic
import pytest
import requests
from fastapi.testclient import TestClient

from fvs.accounts import service as accounts
from fvs.app import create_app
from fvs.config import Settings, parse_networks
from fvs.proxies import TrustedProxies
from tests.conftest import SMALL_RENDER
from tests.live_server import LiveServer

PROXY = ("10.1.2.3", 40000)
STRANGER = ("198.51.100.7", 40000)
FORWARDED = {
    "X-Forwarded-For": "203.0.113.9",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "studio.example.com",
}


@pytest.fixture
def peer(request: pytest.FixtureRequest) -> tuple[str, int]:
    return getattr(request, "param", STRANGER)


@pytest.fixture
def proxied(settings: Settings, peer: tuple[str, int]) -> Iterator[TestClient]:
    """The app as reached from `peer` (a TestClient's own peer is not an IP at all)."""
    with TestClient(create_app(settings), client=peer) as client:
        yield client


def _urls(client: TestClient, make_agent) -> tuple[str, str]:
    agent = make_agent()
    body = {"request_json": (None, json.dumps(SMALL_RENDER))}
    answer = client.post("/api/agent/renders", headers={**agent.headers, **FORWARDED}, files=body)
    assert answer.status_code == 202, answer.text
    return answer.json()["status_url"], answer.json()["cancel_url"]


@pytest.mark.settings(executor="none", trusted_proxies="10.0.0.0/8")
def test_forwarded_headers_from_a_stranger_do_not_shape_our_urls(proxied, make_agent):
    status_url, cancel_url = _urls(proxied, make_agent)
    assert status_url.startswith("http://testserver/api/agent/renders/")
    assert cancel_url.startswith("http://testserver/api/agent/renders/")


@pytest.mark.settings(executor="none", trusted_proxies="10.0.0.0/8")
@pytest.mark.parametrize("peer", [PROXY], indirect=True)
def test_forwarded_headers_from_a_trusted_proxy_shape_our_urls(proxied, make_agent):
    status_url, cancel_url = _urls(proxied, make_agent)
    assert status_url.startswith("https://studio.example.com/api/agent/renders/")
    assert cancel_url.startswith("https://studio.example.com/api/agent/renders/")


@pytest.mark.settings(executor="none")
@pytest.mark.parametrize("peer", [PROXY], indirect=True)
def test_by_default_no_proxy_is_trusted(proxied, make_agent):
    status_url, _ = _urls(proxied, make_agent)
    assert status_url.startswith("http://testserver/")


def _sign_in_cookie(client: TestClient) -> str:
    studio = client.app.state.studio
    studio.db.transact(
        lambda s: accounts.create_account(s, email="ada@example.com", password="long-enough-pw")
    )
    body = {"email": "ada@example.com", "password": "long-enough-pw"}
    answer = client.post("/api/account/session", json=body, headers=FORWARDED)
    assert answer.status_code == 200, answer.text
    return answer.headers["set-cookie"].lower()


@pytest.mark.settings(executor="none", trusted_proxies="10.1.2.3")
def test_a_forged_https_does_not_mark_the_session_cookie_secure(proxied):
    assert "secure" not in _sign_in_cookie(proxied)


@pytest.mark.settings(executor="none", trusted_proxies="10.1.2.3")
@pytest.mark.parametrize("peer", [PROXY], indirect=True)
def test_https_from_a_trusted_proxy_marks_the_session_cookie_secure(proxied):
    assert "secure" in _sign_in_cookie(proxied)


@pytest.mark.settings(executor="none", trusted_proxies="10.0.0.0/8")
@pytest.mark.parametrize("peer", [PROXY], indirect=True)
@pytest.mark.parametrize(
    "host", ["evil.example/path?x=", "a b", "host\\x", "@evil.example", "x" * 300]
)
def test_a_trusted_proxy_host_that_would_bend_a_url_is_ignored(proxied, make_agent, host):
    agent = make_agent()
    body = {"request_json": (None, json.dumps(SMALL_RENDER))}
    headers = {**agent.headers, "X-Forwarded-Host": host, "X-Forwarded-Proto": "https"}
    answer = proxied.post("/api/agent/renders", headers=headers, files=body)
    assert answer.json()["status_url"].startswith("https://testserver/")


@pytest.mark.parametrize("spec", ["10.0.0.0/33", "not-an-ip", "10.0.0.1,,300.1.1.1"])
def test_a_malformed_trusted_proxy_list_stops_the_settings(spec):
    with pytest.raises(pydantic.ValidationError, match="FVS_TRUSTED_PROXIES|trusted_proxies"):
        Settings(trusted_proxies=spec)


def _access_log_client(tmp_path: Path, **env: str) -> str:
    """Run `fvs serve`, send a forged X-Forwarded-For, return its access log line."""
    tmp_path.mkdir()
    server = LiveServer(tmp_path / "data", **env).start()
    try:
        answer = requests.get(
            f"{server.base_url}/healthz", headers={"X-Forwarded-For": "203.0.113.9"}
        )
        assert answer.status_code < 500
    finally:
        server.stop()
    lines = [line for line in server.log.read_text().splitlines() if "/healthz" in line]
    assert lines, server.log.read_text()[-2000:]
    return lines[-1]


@pytest.mark.slow
def test_the_access_log_names_the_real_peer_unless_the_proxy_is_trusted(tmp_path):
    # uvicorn's own proxy handling (which trusts 127.0.0.1 by default) is off in `fvs serve`.
    assert "203.0.113.9" not in _access_log_client(tmp_path / "untrusted")
    trusted = _access_log_client(tmp_path / "trusted", FVS_TRUSTED_PROXIES="127.0.0.1")
    assert "203.0.113.9" in trusted


def _settled(peer: str, trusted: str, headers: list[tuple[bytes, bytes]]) -> dict:
    """Run the middleware once over a real ASGI call; the scope the app behind it saw."""
    seen: dict = {}

    async def app(scope, receive, send) -> None:
        seen.update(scope)

    scope = {"type": "http", "client": (peer, 5000), "scheme": "http", "headers": headers}
    asyncio.run(TrustedProxies(app, parse_networks(trusted))(scope, None, None))
    return seen


def test_the_client_is_the_nearest_hop_that_is_not_our_proxy():
    chain = [(b"x-forwarded-for", b"1.1.1.1, 203.0.113.9"), (b"x-forwarded-for", b"10.0.0.5")]
    assert _settled("10.0.0.9", "10.0.0.0/8", chain)["client"] == ("203.0.113.9", 0)
    assert _settled("198.51.100.1", "10.0.0.0/8", chain)["client"] == ("198.51.100.1", 5000)
    junk = [(b"x-forwarded-for", b"not-an-address")]
    assert _settled("10.0.0.9", "10.0.0.0/8", junk)["client"] == ("10.0.0.9", 5000)
