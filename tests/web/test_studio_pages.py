"""The studio pages over HTTP: project list, new-project form, project page and its actions."""

from __future__ import annotations

import io
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from fvs.billing import service as billing
from tests.accounts.web_helpers import form_token, second_browser, sign_up
from tests.conftest import SMALL_RENDER

FORM = {
    "name": "Fox in the snow",
    "screenplay": SMALL_RENDER["screenplay"],
    "instructions": "",
    "shot_count": "2",
    "scene_target_duration_seconds": "4",
    "video_model": "local-animatic",
    "video_resolution": "480p",
    "image_resolution": "1K",
    "stage_behaviour": "run_all",
}


def _account_id(client: TestClient) -> str:
    return client.get("/api/account/session").json()["account_id"]


def _grant(client: TestClient, credits: int = 1000) -> None:
    account_id = _account_id(client)
    client.app.state.studio.db.transact(
        lambda s: billing.grant(
            s, account_id=account_id, amount=credits, transfer_id=f"grant:{uuid.uuid4().hex}"
        )
    )


def _submit(client: TestClient, **changes: str) -> object:
    data = {**FORM, **changes, "csrf_token": form_token(client, "/projects/new")}
    return client.post("/projects", data=data, follow_redirects=False)


def test_pages_need_a_session(client):
    for path in ("/projects", "/projects/new", "/projects/proj_x"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/login"
    assert client.get("/api/account/projects").status_code == 401
    assert client.get("/").json()["agent_api"] == "/api/agent/renders"


def test_empty_list_links_to_a_new_project(client):
    sign_up(client)
    page = client.get("/projects")
    assert page.status_code == 200
    assert "No projects yet" in page.text and 'href="/projects/new"' in page.text
    assert client.get("/api/account/projects").json() == {"projects": []}


def test_form_shows_registry_choices_and_account_defaults(client):
    sign_up(client)
    token = form_token(client, "/settings")
    saved = client.post(
        "/settings/defaults",
        data={
            "video_resolution": "480p",
            "stage_behaviour": "halt_for_review",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    page = client.get("/projects/new").text
    assert '<option value="local-animatic"' in page
    assert re.search(r'<option value="480p"\s+selected>', page)
    assert re.search(r'value="halt_for_review"\s+checked', page)
    for field in ("f-name", "f-screenplay", "f-shot_count", "f-files-0"):
        assert f'<label for="{field}"' in page


def test_invalid_form_is_shown_again_with_the_field_message_and_values(client):
    sign_up(client)
    _grant(client)
    bad = _submit(client, shot_count="many", instructions="keep it calm")
    assert bad.status_code == 422
    assert 'id="shot_count-error"' in bad.text and "whole number" in bad.text
    assert 'aria-invalid="true"' in bad.text
    assert "keep it calm</textarea>" in bad.text and 'value="many"' in bad.text
    unreachable = _submit(client, scene_target_duration_seconds="500")
    assert unreachable.status_code == 422
    assert 'id="scene_target_duration_seconds-error"' in unreachable.text
    assert client.get("/api/account/projects").json() == {"projects": []}


def test_a_form_without_credits_says_so_with_402(client):
    sign_up(client)
    poor = _submit(client)
    assert poor.status_code == 402
    assert "credits" in poor.text and "Fox in the snow" in poor.text


def test_a_form_without_csrf_is_refused(client):
    sign_up(client)
    _grant(client)
    response = client.post("/projects", data=FORM, follow_redirects=False)
    assert response.status_code == 403
    assert client.get("/api/account/projects").json() == {"projects": []}


@pytest.mark.slow
def test_a_submitted_form_renders_and_the_page_shows_the_result(client):
    sign_up(client)
    _grant(client)
    png = _png()
    data = {**FORM, "csrf_token": form_token(client, "/projects/new")}
    created = client.post(
        "/projects",
        data=data,
        files=[("files", ("look.png", png, "image/png"))],
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    location = created.headers["location"]
    project_id = location.rsplit("/", 1)[1]
    assert location == f"/projects/{project_id}"
    # Studio-page projects keep plain proj_ ids; the agent API's are proj_api_.
    assert re.fullmatch(r"proj_[0-9a-f]{16}", project_id)
    done = _wait_done(client, project_id)
    assert done["status"] == "completed" and done["asset_count"] == 2  # the upload and the final
    page = client.get(location)
    assert page.status_code == 200
    escaped = done["final_video_url"].replace("&", "&amp;")
    assert '<video id="final"' in page.text and f'src="{escaped}"' in page.text
    assert page.text.count('class="card shot"') == 2
    # No character reference was sent: each shot says it was filmed from its keyframe.
    assert page.text.count('<dd class="filmed-from">keyframe</dd>') == 2
    assert 'data-terminal="true"' in page.text
    listed = client.get("/projects").text
    assert f'href="/projects/{project_id}"' in listed and "Fox in the snow" in listed
    assert client.get("/api/account/projects").json()["projects"][0]["clip_count"] == 2


@pytest.mark.slow
def test_another_accounts_project_is_a_404(client):
    sign_up(client)
    _grant(client)
    project_id = _submit(client).headers["location"].rsplit("/", 1)[1]
    other = second_browser(client)
    sign_up(other)
    page = other.get(f"/projects/{project_id}")
    assert page.status_code == 404 and "Project not found" in page.text
    assert "Fox in the snow" not in page.text
    assert other.get(f"/api/account/projects/{project_id}").status_code == 404
    token = form_token(other, "/projects/new")
    cancel = other.post(f"/projects/{project_id}/cancel", data={"csrf_token": token})
    assert cancel.status_code == 404
    _wait_done(client, project_id)


@pytest.mark.slow
def test_cancel_approve_and_regenerate_need_the_csrf_token(client):
    sign_up(client)
    _grant(client)
    project_id = _submit(client, stage_behaviour="halt_for_review").headers["location"][10:]
    halted = _wait_for_stage(client, project_id, "halted_for_review")
    assert halted["status"] == "running"
    first_take = halted["shots"][0]["keyframe_url"].split("?")[0]
    page = client.get(f"/projects/{project_id}").text
    assert "Approve storyboard" in page and page.count("Regenerate keyframe</button>") == 2
    base = f"/projects/{project_id}"
    for action in ("/shots/1/regenerate", "/approve", "/cancel"):
        refused = client.post(base + action, data={"csrf_token": "wrong"})
        assert refused.status_code == 403, action
    token = form_token(client, base)
    regenerated = client.post(
        base + "/shots/1/regenerate", data={"csrf_token": token}, follow_redirects=False
    )
    assert regenerated.status_code == 303
    assert regenerated.headers["location"] == f"{base}?done=regenerating"
    _poll(client, project_id, lambda s: s["shots"][0]["keyframe_url"].split("?")[0] != first_take)
    approved = client.post(base + "/approve", data={"csrf_token": token}, follow_redirects=False)
    assert approved.status_code == 303
    assert _wait_done(client, project_id)["status"] == "completed"
    late = client.post(base + "/cancel", data={"csrf_token": token})
    assert late.status_code == 409 and "nothing to cancel" in late.text


def test_cancel_from_the_page_returns_the_credits(client):
    sign_up(client)
    _grant(client)
    project_id = _submit(client, stage_behaviour="halt_for_review").headers["location"][10:]
    _wait_for_stage(client, project_id, "halted_for_review")
    token = form_token(client, f"/projects/{project_id}")
    cancelled = client.post(
        f"/projects/{project_id}/cancel", data={"csrf_token": token}, follow_redirects=True
    )
    assert cancelled.status_code == 200 and "was cancelled" in cancelled.text
    status = client.get(f"/api/account/projects/{project_id}").json()
    assert status["status"] == "cancelled"
    settings = client.get("/settings").text
    assert "Wallet" in settings and "Held for renders" in settings
    assert re.search(r"<dt>Held for renders</dt><dd>0</dd>", settings)
    assert "storyboarding stage" in settings and "released" in settings  # the voided holds


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 18), (200, 40, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


def _wait_done(client: TestClient, project_id: str) -> dict:
    return _poll(client, project_id, lambda s: s["status"] in ("completed", "failed", "cancelled"))


def _wait_for_stage(client: TestClient, project_id: str, stage: str) -> dict:
    return _poll(client, project_id, lambda s: s["current_stage"] == stage)


def _poll(client: TestClient, project_id: str, ready: Callable[[dict[str, Any]], bool]) -> dict:
    deadline = time.monotonic() + 90
    while True:
        status = client.get(f"/api/account/projects/{project_id}").json()
        if ready(status):
            return status
        assert time.monotonic() < deadline, status
        time.sleep(0.05)
