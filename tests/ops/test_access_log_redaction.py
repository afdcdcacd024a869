"""Signed links and token-like query parameters never reach a log line, uvicorn's included.

`fvs serve` runs as a real subprocess and its real stderr is read back: the access
log line of a signed media link keeps its path and status but not its signature,
expiry or download name.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from fvs import logs
from fvs.storage.signing import sign_path
from tests.live_server import LiveServer

CLIP = "projects/proj_0123456789abcdef/clips/shot-01.mp4"
SECRET_NAME = "Quarterly-Layoffs-Draft.mp4"
TOKEN = "tok3n-value-never-logged"


def _served_log(tmp_path: Path, log_format: str) -> tuple[str, str]:
    """Serve, fetch a signed link and a token-bearing URL; the signed query and the log."""
    query = sign_path(b"live-secret", CLIP, ttl_seconds=600, download_name=SECRET_NAME)
    server = LiveServer(tmp_path / "data", FVS_LOG_FORMAT=log_format).start()
    try:
        assert requests.get(f"{server.base_url}/media/{query}").status_code == 404  # no file
        requests.get(f"{server.base_url}/healthz?access_token={TOKEN}&csrf_token={TOKEN}")
    finally:
        server.stop()
    return query, server.log.read_text()


@pytest.mark.slow
@pytest.mark.parametrize("log_format", ["text", "json"])
def test_the_access_log_of_a_signed_link_keeps_no_signature_expiry_or_name(tmp_path, log_format):
    query, written = _served_log(tmp_path, log_format)
    fields = dict(part.split("=", 1) for part in query.split("?", 1)[1].split("&"))
    lines = [line for line in written.splitlines() if "/media/" in line]
    assert lines, written[-2000:]  # the request was logged at all
    assert "shot-01.mp4" in lines[0] and "404" in lines[0]
    for secret in (fields["sig"], fields["exp"], SECRET_NAME.split("-")[1]):
        assert secret not in written
    assert TOKEN not in written
    assert "[redacted]" in lines[0]


@pytest.mark.parametrize(
    "url",
    [
        "/media/a.mp4?exp=1900000000&kid=k1&sig=abc123",
        "/x?X-Amz-Security-Token=abc123&X-Amz-Expires=1900000000",
        "/x?token=abc123",
        "/x?api_key=abc123&Expires=1900000000",
        "/x?password=abc123",
        "/x?dl=abc123&exp=1900000000",
    ],
)
def test_redact_masks_every_signed_or_token_like_parameter(url):
    masked = logs.redact(f'127.0.0.1:5 - "GET {url} HTTP/1.1" 200')
    assert "abc123" not in masked and "1900000000" not in masked
    assert masked.endswith('HTTP/1.1" 200')


def test_redact_keeps_ordinary_parameters():
    assert logs.redact("/api/agent/renders?limit=20&cursor=c1") == (
        "/api/agent/renders?limit=20&cursor=c1"
    )
