"""Bodies are capped while they stream, before anyone is trusted, on a real server."""

from __future__ import annotations

import psutil
import pytest

from fvs.accounts import sessions
from fvs.ops.body_limits import upload_cap
from tests.ops.stream_upload import stream_upload
from tests.threaded_server import serve_in_thread

MB = 1024 * 1024
# The server runs in this process: its memory is ours. A buffered 120 MB body blows past this.
MAX_GROWTH = 30 * MB
FILE_PART = (
    b'--xyz\r\nContent-Disposition: form-data; name="script"; filename="a.txt"\r\n'
    b"Content-Type: text/plain\r\n\r\n"
)
UNKNOWN_KEY = {"X-FVS-Agent-Key": "fvs_live_" + "a" * 40}

pytestmark = pytest.mark.slow


def _rss() -> int:
    return psutil.Process().memory_info().rss


def _assert_too_large(answer, cap: int) -> None:
    assert answer.status == 413, answer
    assert answer.json() == {
        "error": {
            "code": "request_too_large",
            "message": f"the request body is larger than {cap} bytes; send less",
            "field": None,
        }
    }


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/api/account/keys", "application/json"),
        ("/api/account/session", "application/json"),
        ("/login", "multipart/form-data; boundary=xyz"),
        ("/signup", "application/x-www-form-urlencoded"),
    ],
)
def test_a_strangers_120_mb_chunked_body_is_cut_off_at_the_small_cap(settings, path, content_type):
    with serve_in_thread(settings) as url:
        before = _rss()
        answer = stream_upload(
            url, path, total=120 * MB, headers={"Content-Type": content_type}, prefix=FILE_PART
        )
        grown = _rss() - before
    _assert_too_large(answer, settings.max_anonymous_body_bytes)
    assert answer.sent < 20 * MB  # the server stopped reading: only socket buffers filled
    assert grown < MAX_GROWTH, f"the server grew by {grown / MB:.0f} MB"


def test_a_page_upload_without_a_session_goes_to_login_having_read_little(settings):
    with serve_in_thread(settings) as url:
        before = _rss()
        answer = stream_upload(
            url,
            "/projects",
            total=120 * MB,
            headers={"Content-Type": "multipart/form-data; boundary=xyz"},
            prefix=FILE_PART,
        )
        grown = _rss() - before
    assert answer.status == 303 and answer.headers["location"] == "/login"
    assert answer.sent < 20 * MB and grown < MAX_GROWTH


def test_a_declared_content_length_over_the_cap_is_refused_before_reading(settings):
    with serve_in_thread(settings) as url:
        answer = stream_upload(url, "/login", total=10 * MB, chunked=False)
    _assert_too_large(answer, settings.max_anonymous_body_bytes)


@pytest.mark.parametrize("key", [UNKNOWN_KEY, {}], ids=["unknown", "missing"])
def test_an_unknown_key_with_a_50_mb_body_gets_401_having_read_nothing(settings, key):
    with serve_in_thread(settings) as url:
        before = _rss()
        answer = stream_upload(
            url,
            "/api/agent/renders",
            total=50 * MB,
            headers={"Content-Type": "application/json", **key},
        )
        grown = _rss() - before
    assert answer.status == 401, answer
    assert answer.json()["error"]["field"] == "X-FVS-Agent-Key"
    assert answer.sent < 20 * MB and grown < MAX_GROWTH


@pytest.mark.settings(max_upload_bytes=MB, max_uploads=2)
def test_a_known_key_may_send_up_to_the_upload_cap_and_no_more(settings, make_agent):
    agent = make_agent()
    cap = upload_cap(settings)
    with serve_in_thread(settings) as url:
        before = _rss()
        answer = stream_upload(
            url,
            "/api/agent/renders",
            total=120 * MB,
            headers={"Content-Type": "multipart/form-data; boundary=xyz", **agent.headers},
            prefix=FILE_PART,
        )
        grown = _rss() - before
        # Under the cap the route itself reads the body: a broken form is its 422, not a 413.
        small = stream_upload(
            url,
            "/api/agent/renders",
            total=cap - 1024,
            headers={"Content-Type": "application/json", **agent.headers},
        )
    _assert_too_large(answer, cap)
    assert grown < MAX_GROWTH
    assert small.status == 422, small


def test_a_signed_in_route_gets_the_modest_cap_once_a_credential_is_shown(settings):
    with serve_in_thread(settings) as url:
        answer = stream_upload(
            url,
            "/api/account/keys",
            total=120 * MB,
            headers={"Content-Type": "application/json", "Cookie": "fvs_session=made-up"},
        )
    _assert_too_large(answer, settings.max_signed_in_body_bytes)


@pytest.mark.settings(max_upload_bytes=MB, max_uploads=2)
def test_a_signed_in_page_upload_gets_the_upload_cap(settings, studio, make_agent):
    agent = make_agent()
    started = studio.db.transact(
        lambda s: sessions.start_session(
            s, account_id=agent.account_id, secret=settings.resolved_secret
        )
    )
    cookie = {"Cookie": f"fvs_session={started.token}"}
    multipart = {"Content-Type": "multipart/form-data; boundary=xyz", **cookie}
    cap = upload_cap(settings)
    with serve_in_thread(settings) as url:
        over = stream_upload(url, "/projects", total=120 * MB, headers=multipart, prefix=FILE_PART)
        # Past the signed-in cap but under the upload cap: read whole, then the CSRF check.
        under = stream_upload(url, "/projects", total=2 * MB, headers=multipart, prefix=FILE_PART)
    _assert_too_large(over, cap)
    assert settings.max_signed_in_body_bytes < 2 * MB < cap
    assert under.status != 413, under
