"""The front door: a landing page for browsers, JSON for programs, an HTML 404, a favicon."""

from __future__ import annotations

import io

from PIL import Image

from tests.accounts.web_helpers import form_token, sign_up

BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def test_a_browser_gets_a_landing_page_with_the_ways_in(client):
    page = client.get("/", headers=BROWSER)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for link in ('href="/signup"', 'href="/login"', 'href="/docs"', 'href="/openapi.json"'):
        assert link in page.text
    assert 'rel="icon"' in page.text


def test_programs_keep_the_json_self_description(client):
    for headers in ({"accept": "application/json"}, {}):
        about = client.get("/", headers=headers)
        assert about.json()["agent_api"] == "/api/agent/renders"


def test_an_unknown_page_is_an_html_404_in_the_studio_style(client):
    missing = client.get("/no-such-page", headers=BROWSER)
    assert missing.status_code == 404 and "text/html" in missing.headers["content-type"]
    assert "/no-such-page" in missing.text and 'href="/projects"' in missing.text
    api = client.get("/api/agent/no-such-route", headers=BROWSER)
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"


def test_a_favicon_is_served(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"
    assert icon.content.startswith(b"<svg")


def test_the_new_project_form_offers_every_render_option(client):
    sign_up(client)
    form = client.get("/projects/new").text
    for field in ("aspect_ratio", "seed", "planner_model", "image_model", "tts_model"):
        assert f'name="{field}"' in form, field
    assert 'value="9:16"' in form and 'value="local-planner"' in form


def test_a_refused_form_asks_for_the_chosen_files_again(client):
    sign_up(client)
    data = {
        "screenplay": "Shot 1: A fox.",
        "shot_count": "many",
        "csrf_token": form_token(client, "/projects/new"),
    }
    files = {"files": ("fox.png", _png(), "image/png")}
    refused = client.post("/projects", data=data, files=files, follow_redirects=False)
    assert refused.status_code == 422
    assert 'id="files-error"' in refused.text
    assert "choose the files again" in refused.text
    without_files = client.post("/projects", data=data, follow_redirects=False)
    assert "choose the files again" not in without_files.text


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 18), (200, 40, 40)).save(buffer, format="PNG")
    return buffer.getvalue()
