"""GET /media/...: signed, expiring, seekable links, and no way out of the media folder."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator
from urllib.parse import unquote, urlsplit

import pytest
from fastapi.testclient import TestClient

from fvs.app import create_app
from fvs.config import Settings
from fvs.storage.signing import sign_path
from tests.conftest import SMALL_RENDER
from tests.threaded_server import serve_in_thread

CLIP = "projects/proj_0123456789abcdef/clips/shot-01.mp4"
CLIP_BYTES = bytes(range(256)) * 4


@pytest.fixture
def media_client(settings: Settings) -> Iterator[TestClient]:
    """The app without workers, with one clip already stored."""
    with TestClient(create_app(settings)) as client:
        client.app.state.studio.storage.put_bytes(CLIP, CLIP_BYTES, "video/mp4")
        yield client


def link(settings: Settings, path: str, *, now: float | None = None) -> str:
    return f"/media/{sign_path(settings.resolved_secret, path, ttl_seconds=600, now=now)}"


def error_code(response) -> str:
    return response.json()["error"]["code"]


@pytest.mark.settings(executor="none")
def test_a_signed_link_serves_the_file_and_byte_ranges(media_client, settings):
    url = link(settings, CLIP)
    whole = media_client.get(url)
    assert whole.status_code == 200 and whole.content == CLIP_BYTES
    assert whole.headers["content-type"] == "video/mp4"
    part = media_client.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == CLIP_BYTES[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(CLIP_BYTES)}"


@pytest.mark.settings(executor="none")
def test_a_named_link_downloads_under_its_name_and_the_name_is_signed(media_client, settings):
    assert "content-disposition" not in media_client.get(link(settings, CLIP)).headers
    query = sign_path(
        settings.resolved_secret, CLIP, ttl_seconds=600, download_name='Fox & "snow" é.mp4'
    )
    named = media_client.get(f"/media/{query}")
    assert named.status_code == 200 and named.content == CLIP_BYTES
    disposition = named.headers["content-disposition"]
    # Quotes and non-ASCII letters fall back to "_"; filename* carries the name exactly.
    assert disposition.startswith('attachment; filename="Fox & _snow_ _.mp4"')
    assert disposition.endswith("filename*=UTF-8''Fox%20%26%20%22snow%22%20%C3%A9.mp4")
    part = media_client.get(f"/media/{query}", headers={"Range": "bytes=0-9"})
    assert part.status_code == 206 and part.content == CLIP_BYTES[:10]
    for tampered in (query.replace("dl=Fox", "dl=Fix"), query.replace("&dl=", "&x=")):
        assert media_client.get(f"/media/{tampered}").status_code == 403


@pytest.mark.settings(executor="none")
def test_tampered_foreign_and_expired_links_are_forbidden(media_client, settings):
    url = link(settings, CLIP)
    other = CLIP.replace("shot-01", "shot-02")
    media_client.app.state.studio.storage.put_bytes(other, b"another clip", "video/mp4")
    expired = link(settings, CLIP, now=time.time() - 7200)
    for refused in (
        url.replace("sig=", "sig=0"),
        url.replace("kid=k1", "kid=k2"),
        url.replace("shot-01", "shot-02"),  # a real file, but not the one signed
        url.split("?")[0],
        expired,
    ):
        response = media_client.get(refused)
        assert response.status_code == 403, refused
        assert error_code(response) == "forbidden"
        assert b"another clip" not in response.content


@pytest.mark.settings(executor="none")
def test_a_signed_link_to_a_missing_file_is_not_found(media_client, settings):
    response = media_client.get(link(settings, "projects/proj_0123456789abcdef/gone.mp4"))
    assert response.status_code == 404
    assert response.json()["error"] == {
        "code": "not_found",
        "message": "this media file is not available",
        "field": None,
    }


def raw_get(base_url: str, target: str) -> tuple[int, bytes]:
    """Send the request target byte for byte: no client-side `..` folding."""
    where = urlsplit(base_url)
    connection = http.client.HTTPConnection(where.hostname, where.port, timeout=30)
    try:
        connection.putrequest("GET", target, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", where.netloc)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


# No FVS_SECRET_KEY: the studio keeps its generated secret in data_dir/secret.key, one level
# above the media root, which is what a `..` in a media path would reach for.
@pytest.mark.settings(executor="none", secret_key=None)
@pytest.mark.parametrize(
    "escape",
    ["../secret.key", "projects/../../secret.key", "%2e%2e/secret.key", "%2E%2E%2Fsecret.key"],
)
def test_a_validly_signed_dot_dot_path_is_refused_by_the_guard(settings, escape):
    secret = settings.resolved_secret
    secret_file = settings.data_dir / "secret.key"
    assert (settings.media_dir / unquote(escape)).resolve() == secret_file.resolve()
    with serve_in_thread(settings) as base_url:
        (settings.media_dir / CLIP).parent.mkdir(parents=True)
        (settings.media_dir / CLIP).write_bytes(CLIP_BYTES)
        # The raw client reaches the route: an in-root file comes back whole.
        assert raw_get(base_url, link(settings, CLIP)) == (200, CLIP_BYTES)
        # Signed for the very path the route will see, so only the path guard stands in the way.
        query = sign_path(secret, unquote(escape), ttl_seconds=600).split("?", 1)[1]
        status, body = raw_get(base_url, f"/media/{escape}?{query}")
    assert status == 403, body
    assert json.loads(body)["error"] == {
        "code": "forbidden",
        "message": "this media link is invalid",
        "field": None,
    }
    assert secret not in body and secret_file.read_bytes().strip() == secret


@pytest.mark.slow
def test_a_finished_render_links_its_video_signed_and_seekable(client, make_agent, settings):
    agent = make_agent()
    done = client.post(
        "/api/agent/renders",
        headers=agent.headers,
        json={**SMALL_RENDER, "wait_for_completion_seconds": 60},
    ).json()
    url = done["final_video_url"].removeprefix("http://testserver")
    whole = client.get(url)
    assert whole.status_code == 200 and whole.content[4:8] == b"ftyp"
    # Saved from a browser, the final cut is named after the project.
    assert 'filename="Small test render.mp4"' in whole.headers["content-disposition"]
    part = client.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == whole.content[100:200]
    assert part.headers["content-range"].startswith("bytes 100-199/")
    assert client.get(url.replace("sig=", "sig=0")).status_code == 403
    assert client.get(url.replace("final.mp4", "clips/shot-01.mp4")).status_code == 403
    path = url.split("/media/", 1)[1].split("?")[0]
    expired = link(settings, path, now=time.time() - 7200)
    response = client.get(expired)
    assert response.status_code == 403 and error_code(response) == "forbidden"
