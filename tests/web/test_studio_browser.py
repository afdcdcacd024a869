"""The studio in headless Chromium: sign up, make a key, watch a render finish live, revoke."""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from pathlib import Path

import pytest
import requests
from PIL import Image

from fvs.app import build_studio
from fvs.billing import service as billing
from fvs.config import Settings
from tests.threaded_server import serve_in_thread

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DOCS_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
BODY = {
    "screenplay": "Shot 1: A red fox walks into a snowy forest. "
    "Shot 2: It looks up at the falling snow.",
    "shot_count": 2,
    "scene_target_duration_seconds": 4,
    "video_model": "local-animatic",
    "video_resolution": "480p",
}
PASSWORD = "correct horse battery"
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"

pytestmark = pytest.mark.slow


@pytest.fixture
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("/usr/bin/chromium is missing, and CI must run the browser tests")
        pytest.skip("/usr/bin/chromium is missing")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


class Shots:
    """Screenshots into a temporary folder; with FVS_UPDATE_SCREENSHOTS=1 also into
    docs/screenshots/ (the README's pictures), so ordinary runs leave the tree clean."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.publish = os.environ.get("FVS_UPDATE_SCREENSHOTS") == "1"
        folder.mkdir(parents=True, exist_ok=True)

    def take(self, page, name: str, **options) -> None:
        path = self.folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True, **options)
        assert path.stat().st_size > 0
        if self.publish:
            DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, DOCS_SHOTS / path.name)


def wait_until(page, expression: str, timeout: float = 30) -> None:
    """Poll a JS expression until it is truthy. page.wait_for_function would eval() it in
    the page, which the pages' CSP (no 'unsafe-eval') refuses; page.evaluate goes through
    the DevTools protocol, which CSP does not govern."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"never true: {expression}"
        time.sleep(0.1)


def _grant(settings: Settings, account_id: str) -> None:
    studio = build_studio(settings)
    try:
        studio.db.transact(
            lambda s: billing.grant(
                s, account_id=account_id, amount=2000, transfer_id=f"grant:{uuid.uuid4().hex}"
            )
        )
    finally:
        studio.db.dispose()


def test_a_render_watched_live_in_the_browser(browser, settings, tmp_path):
    shots = Shots(tmp_path / "screens")
    email = f"fox-{uuid.uuid4().hex[:8]}@example.com"
    with serve_in_thread(settings) as base:
        page = browser.new_page(viewport={"width": 1100, "height": 800})
        page.set_default_timeout(30_000)

        page.goto(f"{base}/signup")
        shots.take(page, "01-signup")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign up").click()
        page.wait_for_url(f"{base}/settings")
        _grant(settings, page.request.get(f"{base}/api/account/session").json()["account_id"])

        # Halting for review by default keeps the render waiting until we say so.
        page.reload()
        page.select_option("#d-stage_behaviour", "halt_for_review")
        page.get_by_role("button", name="Save defaults").click()
        page.get_by_text("Your defaults were saved.").wait_for()
        page.get_by_label("Name", exact=True).fill("browser test")
        page.get_by_role("button", name="Create key").click()
        key = page.input_value("#new-key")
        assert key
        shots.take(page, "02-settings", mask=[page.locator("#new-key")], mask_color="#d5d9e0")

        submitted = requests.post(
            f"{base}/api/agent/renders",
            headers={"X-FVS-Agent-Key": key},
            files={"request_json": (None, json.dumps(BODY))},
            timeout=30,
        )
        assert submitted.status_code == 202, submitted.text
        project_id = submitted.json()["project_id"]

        page.get_by_role("link", name="Projects", exact=True).click()
        page.wait_for_url(f"{base}/projects")
        shots.take(page, "03-projects")
        page.locator(f'a[href="/projects/{project_id}"]').click()
        page.wait_for_url(f"{base}/projects/{project_id}")
        page.evaluate("window.__sameDocument = true")
        page.get_by_role("button", name="Approve storyboard").wait_for()
        page.locator(".shot img").first.wait_for()
        assert page.get_by_role("button", name="Regenerate the keyframe of shot 2").is_visible()
        assert page.locator("#progress-percent").inner_text() == "20%"
        shots.take(page, "04-project-review")

        approved = requests.post(
            f"{base}/api/agent/renders/{project_id}/approve",
            headers={"X-FVS-Agent-Key": key},
            timeout=30,
        )
        assert approved.status_code == 200, approved.text
        page.locator("video#final").wait_for(timeout=90_000)
        wait_until(
            page,
            "document.querySelector('video#final') && "
            "document.querySelector('video#final').readyState >= 2",
        )
        assert page.evaluate("window.__sameDocument") is True  # updated in place, never reloaded
        assert page.locator("#progress-label").inner_text() == "Completed"
        assert page.locator(".shot video").count() == 2
        assert page.get_by_role("link", name="Download the video").is_visible()
        shots.take(page, "05-project-completed")

        page.get_by_role("link", name="New project").click()
        page.wait_for_url(f"{base}/projects/new")
        shots.take(page, "06-new-project")

        page.goto(f"{base}/settings")
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Revoke key browser test").click()
        page.get_by_text("The key was revoked").wait_for()
        refused = requests.get(
            f"{base}/api/agent/renders/{project_id}", headers={"X-FVS-Agent-Key": key}, timeout=30
        )
        assert refused.status_code == 401

        page.set_viewport_size({"width": 375, "height": 740})
        for path, name in (
            ("/projects/new", "07-phone-new-project"),
            ("/settings", "08-phone-settings"),
            ("/projects", "09-phone-projects"),
            (f"/projects/{project_id}", "10-phone-project"),
        ):
            page.goto(base + path)
            assert page.evaluate("document.documentElement.scrollWidth") <= 375, path
            assert page.evaluate(NO_SIDEWAYS_SCROLL), path
            shots.take(page, name)

        page.set_viewport_size({"width": 1100, "height": 800})
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(f"{base}/login")
        shots.take(page, "11-login")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{base}/settings")
        page.close()


def test_rows_added_in_the_browser_are_submitted(browser, settings, tmp_path):
    picture = tmp_path / "mara.png"
    Image.new("RGB", (32, 18), (200, 40, 40)).save(picture)
    with serve_in_thread(settings) as base:
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.set_default_timeout(30_000)
        page.goto(f"{base}/signup")
        page.get_by_label("Email").fill(f"rows-{uuid.uuid4().hex[:8]}@example.com")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign up").click()
        page.wait_for_url(f"{base}/settings")
        _grant(settings, page.request.get(f"{base}/api/account/session").json()["account_id"])

        page.goto(f"{base}/projects/new")
        page.check('input[name="project_mode"][value="custom"]')
        page.get_by_role("button", name="Add a shot").click()
        page.fill("#f-shot_prompt-0", "A fox wakes in the snow.")
        page.fill("#f-shot_duration-0", "4")
        page.fill("#f-shot_prompt-3", "The fox runs to the trees.")
        page.fill("#f-shot_duration-3", "2")
        assert page.get_by_label("Shot 4").count() == 1
        page.get_by_role("button", name="Add a file").click()
        page.set_input_files("#f-files-1", str(picture))
        page.fill("#f-asset_label-1", "Mara")
        page.select_option("#f-asset_purpose-1", "character_reference")
        page.select_option("#f-video_model", "local-animatic")
        page.select_option("#f-video_resolution", "480p")
        page.get_by_role("button", name="Start rendering").click()
        page.wait_for_url(f"{base}/projects/proj_*")
        project_id = page.url.rsplit("/", 1)[1]
        status_url = f"{base}/api/account/projects/{project_id}"
        deadline = time.monotonic() + 60
        while not (status := page.request.get(status_url).json())["shots"]:
            assert time.monotonic() < deadline, status
            time.sleep(0.1)
        # The fourth shot row was added by studio.js; blank rows between are dropped.
        assert [s["duration_seconds"] for s in status["shots"]] == [4, 2]
        (upload,) = status["uploads"]
        assert (upload["label"], upload["purpose"]) == ("Mara", "character_reference")
        page.close()
