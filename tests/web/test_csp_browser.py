"""The studio's pages run under their Content-Security-Policy without one violation.

Chromium reports every blocked inline script, handler, style or source both as a
console error and as a `securitypolicyviolation` event; the test listens for both
(and for page errors) across the main pages, exercising their scripts on the way.
"""

from __future__ import annotations

import json
import uuid

import pytest
import requests

from tests.threaded_server import serve_in_thread
from tests.web.test_studio_browser import (  # noqa: F401
    BODY,
    PASSWORD,
    _grant,
    browser,
    wait_until,
)

pytestmark = pytest.mark.slow

# Runs before any page script, through the DevTools protocol, so CSP does not block it.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__violations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


class Recorder:
    """Console errors and page errors of one page, with the violations each page saw."""

    def __init__(self, page) -> None:
        self.page = page
        self.console: list[str] = []
        self.violations: list[str] = []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.console.append(f"pageerror: {error}"))

    def _console(self, message) -> None:
        if message.type in ("error", "warning"):
            self.console.append(f"{message.type}: {message.text}")

    def visited(self, what: str) -> None:
        """Collect the violations the current document recorded."""
        found = self.page.evaluate("window.__violations || []")
        self.violations.extend(f"{what}: {v}" for v in found)


def test_the_main_pages_run_without_a_csp_violation(browser, settings):  # noqa: F811
    with serve_in_thread(settings) as base:
        page = browser.new_page(viewport={"width": 1100, "height": 800})
        page.set_default_timeout(30_000)
        seen = Recorder(page)
        assert "script-src 'self'" in page.goto(f"{base}/login").headers["content-security-policy"]
        seen.visited("login")
        page.goto(f"{base}/signup")
        page.get_by_label("Email").fill(f"csp-{uuid.uuid4().hex[:8]}@example.com")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign up").click()
        page.wait_for_url(f"{base}/settings")
        _grant(settings, page.request.get(f"{base}/api/account/session").json()["account_id"])

        page.reload()
        page.get_by_label("Name", exact=True).fill("csp test")
        page.get_by_role("button", name="Create key").click()
        key = page.input_value("#new-key")
        page.get_by_role("button", name="Copy").click()  # studio.js, no longer inline
        page.locator("#copy-status").filter(has_text="C").wait_for()
        seen.visited("settings")

        submitted = requests.post(
            f"{base}/api/agent/renders",
            headers={"X-FVS-Agent-Key": key},
            files={"request_json": (None, json.dumps(BODY))},
            timeout=30,
        )
        assert submitted.status_code == 202, submitted.text
        project_id = submitted.json()["project_id"]

        page.goto(f"{base}/projects")
        seen.visited("projects")
        page.goto(f"{base}/projects/{project_id}")
        wait_until(
            page,
            "document.querySelector('video#final') && "
            "document.querySelector('video#final').readyState >= 2",
            timeout=90,
        )
        wait_until(page, "document.querySelectorAll('.shot video').length === 2")
        page.locator("#waveform, .sheet").first.wait_for(state="attached")
        seen.visited("project")
        page.goto(f"{base}/projects/new")
        page.get_by_role("button", name="Add a shot").click()  # studio.js adds the row
        seen.visited("new project")

        page.goto(f"{base}/settings")
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Revoke key csp test").click()  # data-confirm
        page.get_by_text("The key was revoked").wait_for()
        seen.visited("settings after revoking")
        page.close()
    assert seen.violations == []
    assert [line for line in seen.console if "Content Security Policy" in line] == []
    assert [line for line in seen.console if line.startswith("pageerror")] == []


@pytest.mark.parametrize(
    ("path", "drawn"), [("/docs", ".swagger-ui .opblock"), ("/redoc", "[role=menuitem], li")]
)
def test_the_docs_pages_render_under_their_own_policy(browser, settings, path, drawn):  # noqa: F811
    with serve_in_thread(settings) as base:
        page = browser.new_page(viewport={"width": 1100, "height": 800})
        page.set_default_timeout(30_000)
        seen = Recorder(page)
        page.goto(base + path)
        page.locator(drawn).first.wait_for()  # the inline start-up script ran
        seen.visited(path)
        page.close()
    # ReDoc's bundle draws a "powered by" badge from cdn.redoc.ly: an outside image, which
    # the policy is right to block (the docs work offline); nothing else may be refused.
    badge = "https://cdn.redoc.ly/redoc/logo-mini.svg"
    assert [v for v in seen.violations if not v.endswith(f"img-src {badge}")] == []
    console = [line for line in seen.console if "Content Security Policy" in line]
    assert [line for line in console if badge not in line] == []
