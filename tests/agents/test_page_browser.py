"""The agent API page in Chromium: it renders under the studio's strict policy, and a person
finds it from the keys on the settings page."""

from __future__ import annotations

import uuid

import pytest

from tests.threaded_server import serve_in_thread
from tests.web.test_csp_browser import Recorder
from tests.web.test_studio_browser import PASSWORD, browser  # noqa: F401

pytestmark = pytest.mark.slow


def test_the_settings_page_leads_to_the_agent_page_without_a_csp_violation(browser, settings):  # noqa: F811
    with serve_in_thread(settings) as base:
        page = browser.new_page(viewport={"width": 1100, "height": 800})
        page.set_default_timeout(30_000)
        seen = Recorder(page)
        page.goto(f"{base}/signup")
        page.get_by_label("Email").fill(f"docs-{uuid.uuid4().hex[:8]}@example.com")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign up").click()
        page.wait_for_url(f"{base}/settings")
        keys = page.locator("section", has=page.locator("#keys-title"))
        keys.get_by_role("link", name="How agents use the API").click()
        page.wait_for_url(f"{base}/docs/agent")
        heading = page.get_by_role("heading", level=1)
        assert heading.inner_text() == "Future Video Studio: the agent API"
        assert page.locator("table").count() >= 5  # fields, assets, shots, parts, routes, errors
        assert base in page.locator("code.language-python").inner_text()
        seen.visited("agent page")
        page.close()
    assert seen.violations == []
    assert [line for line in seen.console if "Content Security Policy" in line] == []
    assert [line for line in seen.console if line.startswith("pageerror")] == []
