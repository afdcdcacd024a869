"""The agent API contract of seed/agent-api.txt: shapes, bodies, defaults, errors, auth."""

from __future__ import annotations

import io
import json
import re

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from fvs.app import create_app
from fvs.renders import service as renders
from tests.conftest import SMALL_RENDER, Agent, wait_for

SEED_FIELDS = [
    "project_id",
    "name",
    "status",
    "current_stage",
    "is_running",
    "run_id",
    "final_video_url",
    "last_error",
    "asset_count",
    "clip_count",
    "status_url",
    "cancel_url",
]


def submit(client: TestClient, agent: Agent, body: dict, **kwargs):
    return client.post(
        "/api/agent/renders",
        headers=agent.headers,
        files={"request_json": (None, json.dumps(body))},
        **kwargs,
    )


def assert_error(response, status: int, field: str | None, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["field"] == field, error
    assert error["message"]
    if code:
        assert error["code"] == code
    return error


@pytest.mark.slow
def test_submit_answers_with_the_seed_fields_in_order(client, make_agent):
    agent = make_agent()
    response = submit(client, agent, SMALL_RENDER)
    assert response.status_code == 202
    body = response.json()
    assert list(body)[: len(SEED_FIELDS)] == SEED_FIELDS
    assert re.fullmatch(r"proj_api_[0-9a-f]{16}", body["project_id"])
    assert body["name"] == "Small test render"
    assert body["status"] in ("queued", "running")
    assert body["is_running"] is True and body["run_id"].startswith("run_")
    assert body["status_url"] == f"http://testserver/api/agent/renders/{body['project_id']}"
    assert body["cancel_url"] == body["status_url"] + "/cancel"
    assert body["final_video_url"] is None and body["last_error"] is None

    done = wait_for(client, agent, body["project_id"], ("completed", "failed"))
    assert done["status"] == "completed", done["last_error"]
    assert list(done)[: len(SEED_FIELDS)] == SEED_FIELDS
    assert done["current_stage"] == "completed" and done["is_running"] is False
    assert done["run_id"] is None and done["last_error"] is None
    assert done["clip_count"] == 2 and done["asset_count"] == 1
    assert done["progress"] == 1.0
    assert done["credits_settled"] <= done["credits_reserved"]
    video = client.get(done["final_video_url"].removeprefix("http://testserver"))
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
    assert video.content[4:8] == b"ftyp"


def test_json_body_is_accepted_like_multipart(client, make_agent):
    agent = make_agent()
    response = client.post("/api/agent/renders", headers=agent.headers, json=SMALL_RENDER)
    assert response.status_code == 202
    assert response.json()["name"] == "Small test render"


def test_omitted_fields_take_the_account_defaults(client, make_agent):
    agent = make_agent(
        defaults={
            "video_resolution": "1080p",
            "image_resolution": "2K",
            "video_model": "veo-3.1-generate-001",
        }
    )
    body = {
        "screenplay": "A lighthouse keeper climbs the stairs. The lamp comes alive.",
        "shot_count": 2,
        "scene_target_duration_seconds": 12,
    }
    settings = submit(client, agent, body).json()
    status = client.get(settings["status_url"], headers=agent.headers).json()["settings"]
    assert status["video_resolution"] == "1080p"
    assert status["image_resolution"] == "2K"
    assert status["video_model"] == "veo-3.1-generate-001"
    assert status["planned_durations"] in ([6, 6], [8, 4], [4, 8])
    assert status["executions"]["video"] == {
        "model": "veo-3.1-generate-001",
        "runs_on": "local-animatic",
        "provider": "local",
        "standin": True,
    }
    # A request field beats the account default.
    status = client.get(
        submit(client, agent, {**body, "video_resolution": "720p"}).json()["status_url"],
        headers=agent.headers,
    ).json()["settings"]
    assert status["video_resolution"] == "720p"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"colour": "red"}, "colour"),
        ({"shot_count": "3"}, "shot_count"),
        ({"shot_count": 0}, "shot_count"),
        ({"stage_voice_briefs_enabled": "yes"}, "stage_voice_briefs_enabled"),
        ({"screenplay": "   "}, "screenplay"),
        ({"video_model": "sora-9"}, "video_model"),
        ({"video_resolution": "4K"}, "video_resolution"),
        ({"image_resolution": "8K"}, "image_resolution"),
        ({"project_mode": "music_video"}, "project_mode"),
        ({"scene_target_duration_seconds": 100, "shot_count": 3}, "scene_target_duration_seconds"),
        ({"scene_target_duration_seconds": -4}, "scene_target_duration_seconds"),
        ({"wait_for_completion_seconds": -1}, "wait_for_completion_seconds"),
    ],
)
def test_bad_fields_get_422_naming_the_field(client, make_agent, change, field):
    agent = make_agent()
    body = {
        **SMALL_RENDER,
        "video_model": "veo-3.1-fast-generate-001",
        "video_resolution": "720p",
        "scene_target_duration_seconds": 12,
        **change,
    }
    assert_error(submit(client, agent, body), 422, field, "invalid_request")


def test_missing_screenplay_is_a_422(client, make_agent):
    body = {k: v for k, v in SMALL_RENDER.items() if k != "screenplay"}
    assert_error(submit(client, make_agent(), body), 422, "screenplay")


def test_malformed_bodies_get_clear_errors(client, make_agent):
    agent = make_agent()
    post = client.post
    assert_error(
        post(
            "/api/agent/renders", headers=agent.headers, files={"request_json": (None, "{not json")}
        ),
        422,
        "request_json",
    )
    assert_error(
        post("/api/agent/renders", headers=agent.headers, files={"other": (None, "x")}),
        422,
        "other",
    )
    assert_error(
        post(
            "/api/agent/renders",
            headers=agent.headers,
            data={"x": "1"},
            files={"reference_image": ("a.png", b"\x89PNG", "image/png")},
        ),
        422,
        "x",
    )
    assert_error(
        post(
            "/api/agent/renders",
            headers=agent.headers,
            files={"f": ("a.bin", b"\x00\x01", "application/octet-stream")},
        ),
        422,
        "request_json",
    )
    assert_error(
        post(
            "/api/agent/renders",
            headers={**agent.headers, "content-type": "text/plain"},
            content=b"hi",
        ),
        415,
        "content-type",
    )
    assert_error(
        post("/api/agent/renders", headers=agent.headers, json=[1, 2]), 422, "request_json"
    )


@pytest.mark.settings(max_upload_bytes=1000)
def test_oversized_request_json_and_upload_are_refused(client, make_agent, settings):
    agent = make_agent()
    big = {**SMALL_RENDER, "instructions": "x" * (settings.max_request_json_bytes + 10)}
    response = submit(client, agent, big)
    assert response.status_code == 422
    assert response.json()["error"]["field"] in ("body", "request_json", "instructions")
    files = {
        "request_json": (None, json.dumps(SMALL_RENDER)),
        "script": ("notes.txt", b"y" * 2000, "text/plain"),
    }
    assert_error(
        client.post("/api/agent/renders", headers=agent.headers, files=files), 422, "script"
    )


def test_uploads_are_sniffed_and_attached(client, make_agent):
    agent = make_agent()
    png = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 30, 30)).save(png, "PNG")
    files = [
        ("request_json", (None, json.dumps(SMALL_RENDER))),
        ("reference_image", ("fox.png", png.getvalue(), "image/png")),
        ("script", ("notes.txt", b"The fox is red.", "text/plain")),
    ]
    body = client.post("/api/agent/renders", headers=agent.headers, files=files).json()
    assert body["asset_count"] == 2
    wrong = [
        ("request_json", (None, json.dumps(SMALL_RENDER))),
        ("reference_image", ("x.png", b"\xff\xfe\x00garbage\x80", "image/png")),
    ]
    assert_error(
        client.post("/api/agent/renders", headers=agent.headers, files=wrong),
        422,
        "reference_image",
    )


def test_keys_are_required_and_checked(client, make_agent):
    url = "/api/agent/renders"
    payload = {"files": {"request_json": (None, json.dumps(SMALL_RENDER))}}
    assert_error(client.post(url, **payload), 401, "X-FVS-Agent-Key", "unauthorized")
    assert_error(
        client.post(url, headers={"X-FVS-Agent-Key": "fvs_nope"}, **payload), 401, "X-FVS-Agent-Key"
    )
    agent = make_agent()
    forged = agent.key[:-8] + ("A" if agent.key[-8] != "A" else "B") + agent.key[-7:]
    assert_error(
        client.post(url, headers={"X-FVS-Agent-Key": forged}, **payload), 401, "X-FVS-Agent-Key"
    )
    assert_error(client.get("/api/agent/renders/proj_0000000000000000"), 401, "X-FVS-Agent-Key")


def test_another_accounts_render_is_404(client, make_agent):
    owner, stranger = make_agent(), make_agent()
    project = submit(client, owner, SMALL_RENDER).json()
    for response in (
        client.get(project["status_url"], headers=stranger.headers),
        client.post(project["cancel_url"], headers=stranger.headers),
    ):
        error = assert_error(response, 404, "project_id", "not_found")
        assert project["name"] not in json.dumps(error)


def test_short_wallet_gets_402_with_amounts(client, make_agent):
    agent = make_agent(credits=3)
    error = assert_error(submit(client, agent, SMALL_RENDER), 402, None, "insufficient_credits")
    assert error["available"] == 3 and error["needed"] > 3
    # The refusal moved no credit and left no project behind.
    wallet = client.get("/api/agent/wallet", headers=agent.headers).json()
    assert wallet == {"available_credits": 3, "held_credits": 0, "balance_credits": 3}
    history = client.get("/api/agent/wallet/transfers", headers=agent.headers).json()
    assert [t["kind"] for t in history["transfers"]] == ["single"]  # the grant alone
    with client.app.state.studio.db.read() as session:
        assert renders.list_renders(session, account_id=agent.account_id) == []


FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "studio.example"}


@pytest.mark.settings(trusted_proxies="10.0.0.1")
def test_forwarded_headers_from_a_trusted_proxy_shape_the_urls(settings, make_agent):
    # Untrusted peers' forwarded headers are ignored: tests/ops/test_trusted_proxies.py.
    agent = make_agent()
    with TestClient(create_app(settings), client=("10.0.0.1", 4000)) as behind_proxy:
        body = behind_proxy.post(
            "/api/agent/renders",
            headers={**agent.headers, **FORWARDED},
            files={"request_json": (None, json.dumps(SMALL_RENDER))},
        ).json()
    assert body["status_url"].startswith("https://studio.example/api/agent/renders/proj_")


@pytest.mark.settings(public_base_url="https://fvs.example.org/")
def test_public_base_url_beats_forwarded_headers(client, make_agent):
    agent = make_agent()
    body = client.post(
        "/api/agent/renders",
        headers={**agent.headers, **FORWARDED},
        files={"request_json": (None, json.dumps(SMALL_RENDER))},
    ).json()
    again = client.get(
        f"/api/agent/renders/{body['project_id']}", headers={**agent.headers, **FORWARDED}
    ).json()
    for answer in (body, again):
        assert (
            answer["cancel_url"]
            == f"https://fvs.example.org/api/agent/renders/{body['project_id']}/cancel"
        )


@pytest.mark.slow
def test_wait_for_completion_holds_the_post_until_done(client, make_agent):
    agent = make_agent()
    response = submit(client, agent, {**SMALL_RENDER, "wait_for_completion_seconds": 60})
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "completed"
    assert response.json()["final_video_url"].startswith("http://testserver/media/")


@pytest.mark.settings(status_min_interval_ms=5)
def test_a_tight_polling_loop_is_never_refused(client, make_agent):
    agent = make_agent()
    url = submit(client, agent, SMALL_RENDER).json()["status_url"]
    codes = {client.get(url, headers=agent.headers).status_code for _ in range(150)}
    assert codes == {200}


REQUEST_AS_FILE = {"request_json": ("request.json", json.dumps(SMALL_RENDER), "application/json")}


def test_request_json_sent_as_a_file_part_is_read(client, make_agent):
    agent = make_agent()
    response = client.post("/api/agent/renders", headers=agent.headers, files=REQUEST_AS_FILE)
    assert response.status_code == 202 and response.json()["name"] == "Small test render"


@pytest.mark.settings(max_request_json_bytes=100)
def test_request_json_sent_as_a_file_part_is_bounded(client, make_agent):
    agent = make_agent()
    assert len(REQUEST_AS_FILE["request_json"][1]) > 100  # accepted above, under the default
    assert_error(
        client.post("/api/agent/renders", headers=agent.headers, files=REQUEST_AS_FILE),
        422,
        "request_json",
    )


@pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
def test_nul_characters_are_refused_not_stored(client, make_agent):
    agent = make_agent()
    for field in ("screenplay", "name", "instructions"):
        body = {**SMALL_RENDER, field: SMALL_RENDER.get(field, "x") + "\u0000"}
        assert_error(
            client.post("/api/agent/renders", headers=agent.headers, json=body), 422, field
        )
