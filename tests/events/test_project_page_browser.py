"""The project page follows the render's event stream in Chromium, and polls when it drops."""

from __future__ import annotations

import json
import uuid

import pytest
import requests

from fvs.app import build_studio
from fvs.keys import service as keys
from tests.conftest import SMALL_RENDER
from tests.threaded_server import serve_in_thread
from tests.web.test_studio_browser import PASSWORD, _grant, browser, wait_until

__all__ = ["browser"]  # the Chromium fixture, shared with the studio's browser tests
pytestmark = pytest.mark.slow


def signed_in_render(page, base: str, settings) -> str:
    """Sign up in the browser, then submit a render for that account with its own key."""
    page.goto(f"{base}/signup")
    page.get_by_label("Email").fill(f"live-{uuid.uuid4().hex[:8]}@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url(f"{base}/settings")
    account_id = page.request.get(f"{base}/api/account/session").json()["account_id"]
    _grant(settings, account_id)
    studio = build_studio(settings)
    try:
        key = studio.db.transact(
            lambda s: keys.issue_key(
                s, account_id=account_id, name="live", secret=settings.resolved_secret
            )
        ).secret
    finally:
        studio.db.dispose()
    answer = requests.post(
        f"{base}/api/agent/renders",
        headers={"X-FVS-Agent-Key": key},
        files={"request_json": (None, json.dumps(SMALL_RENDER))},
        timeout=30,
    )
    assert answer.status_code == 202, answer.text
    return answer.json()["project_id"]


def test_the_project_page_updates_from_the_event_stream(browser, settings):
    with serve_in_thread(settings) as base:
        page = browser.new_page()
        page.set_default_timeout(30_000)
        project_id = signed_in_render(page, base, settings)
        streams: list[str] = []
        page.on("request", lambda r: streams.append(r.url) if r.url.endswith("/events") else None)
        console_errors: list[str] = []
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)

        page.goto(f"{base}/projects/{project_id}")
        wait_until(page, "document.getElementById('live').dataset.feed === 'stream'")
        wait_until(page, "document.getElementById('live').dataset.terminal === 'true'", 90)

        assert page.get_attribute("#live", "data-status") == "completed"
        # The stream carried it to the end: the page never fell back to polling.
        assert page.get_attribute("#live", "data-feed") == "stream"
        assert streams == [f"{base}/api/account/projects/{project_id}/events"]
        assert page.text_content("#progress-percent").strip() == "100%"
        assert page.locator("video").count() >= 1
        assert not console_errors  # nothing refused by the CSP


def test_the_project_page_polls_when_the_stream_drops(browser, settings):
    with serve_in_thread(settings) as base:
        page = browser.new_page()
        page.set_default_timeout(30_000)
        project_id = signed_in_render(page, base, settings)
        page.route("**/events", lambda route: route.abort())

        page.goto(f"{base}/projects/{project_id}")
        wait_until(page, "document.getElementById('live').dataset.feed === 'polling'")
        wait_until(page, "document.getElementById('live').dataset.terminal === 'true'", 90)
        assert page.get_attribute("#live", "data-status") == "completed"
