"""Custom mode, described assets, style presets and the hosted studio's request fields."""

from __future__ import annotations

import io
import json
import re

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from fvs.app import build_studio
from fvs.config import Settings
from fvs.models import Project
from fvs.providers.base import Plan
from fvs.providers.styles import PRESET_NAMES
from tests.accounts.web_helpers import form_token, sign_up
from tests.conftest import SMALL_RENDER, Agent, wait_for
from tests.pipeline.test_documents import pdf_with_text
from tests.renders.test_agent_api import assert_error, submit

CUSTOM = {
    "name": "Custom fox",
    "project_mode": "custom",
    "video_model": "local-animatic",
    "video_resolution": "480p",
    "shots": [
        {"prompt": "A red fox trots into a snowy forest.", "duration_seconds": 4},
        {"prompt": "The fox looks up.", "duration_seconds": 4, "camera": "tilt_up"},
    ],
}


def png(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (48, 64), colour).save(out, format="PNG")
    return out.getvalue()


def transfer_ids(client: TestClient, agent: Agent) -> list[str]:
    page = client.get("/api/agent/wallet/transfers?limit=100", headers=agent.headers).json()
    return [t["id"] for t in page["transfers"]]


def stored_plan(settings: Settings, project_id: str) -> Plan:
    studio = build_studio(settings)
    try:
        with studio.db.read() as session:
            project = session.get(Project, project_id)
            assert project is not None and project.plan is not None
            return Plan.model_validate(project.plan)
    finally:
        studio.db.dispose()


def test_a_custom_estimate_has_no_planning(client, make_agent):
    agent = make_agent()
    quote = client.post("/api/agent/renders/estimate", headers=agent.headers, json=CUSTOM)
    assert quote.status_code == 200, quote.text
    body = quote.json()
    assert "planning" not in body["credits_breakdown"]
    assert body["planned_durations"] == [4, 4]
    assert body["settings"]["project_mode"] == "custom"
    scene = client.post("/api/agent/renders/estimate", headers=agent.headers, json=SMALL_RENDER)
    assert scene.json()["credits_breakdown"]["planning"] > 0


def test_custom_shots_are_the_plan_as_written(client, make_agent, settings):
    agent = make_agent()
    body = submit(client, agent, {**CUSTOM, "stage_behaviour": "halt_for_review"}).json()
    status = wait_for(client, agent, body["project_id"], ("failed",), where=lambda b: b["shots"])
    assert [(s["text"], s["duration_seconds"], s["camera_move"]) for s in status["shots"]] == [
        ("A red fox trots into a snowy forest.", 4, "static"),
        ("The fox looks up.", 4, "tilt_up"),
    ]
    assert "planning" not in status["stage_providers"]
    assert not any(":planning" in t for t in transfer_ids(client, agent))
    client.post(body["cancel_url"], headers=agent.headers)


@pytest.mark.slow
def test_a_custom_render_completes_without_a_planning_charge(client, make_agent):
    agent = make_agent()
    quote = client.post("/api/agent/renders/estimate", headers=agent.headers, json=CUSTOM).json()
    body = submit(client, agent, CUSTOM).json()
    assert body["credits_reserved"] == quote["credits_estimated"]
    done = wait_for(client, agent, body["project_id"], ("completed", "failed"))
    assert done["status"] == "completed", done["last_error"]
    assert [s["duration_seconds"] for s in done["shots"]] == [4, 4]
    assert not any(":planning" in t for t in transfer_ids(client, agent))


def hosted_files(request: dict) -> list[tuple[str, tuple]]:
    """A submit as the hosted studio's MCP client sends it: every file a part named `files`."""
    return [
        ("request_json", (None, json.dumps(request))),
        ("files", ("mara.png", png((200, 30, 40)), "image/png")),
        ("files", ("office.png", png((20, 60, 200)), "image/png")),
        (
            "files",
            ("brief.txt", b"Mara is a courier who never takes off her red coat.", "text/plain"),
        ),
        ("files", ("logo.png", png((250, 250, 250)), "image/png")),
    ]


HOSTED = {
    **SMALL_RENDER,
    "project_mode": "scene",
    "screenplay": "Shot 1: A courier runs across a rooftop. Shot 2: She stops at the edge.",
    "visual_style_preset": "noir",
    "assets": [
        {"filename": "mara.png", "label": "Mara", "purpose": "character_reference"},
        {"filename": "office.png", "label": "Rooftop", "purpose": "location_reference"},
        {"filename": "brief.txt", "purpose": "document_reference"},
        {"filename": "logo.png", "label": "Acme", "purpose": "logo_reference"},
    ],
}


@pytest.mark.slow
def test_a_hosted_client_submit_with_described_assets_completes(client, make_agent, settings):
    agent = make_agent()
    response = client.post("/api/agent/renders", headers=agent.headers, files=hosted_files(HOSTED))
    assert response.status_code == 202, response.text
    project_id = response.json()["project_id"]
    assert re.fullmatch(r"proj_api_[0-9a-f]{16}", project_id)
    done = wait_for(client, agent, project_id, ("completed", "failed"))
    assert done["status"] == "completed", done["last_error"]
    uploads = {u["filename"]: u for u in done["uploads"]}
    assert {(u["label"], u["purpose"]) for u in uploads.values()} == {
        ("Mara", "character_reference"),
        ("Rooftop", "location_reference"),
        (None, "document_reference"),
        ("Acme", "logo_reference"),
    }
    assert all(u["part"] == "files" and u["url"] for u in uploads.values())
    assert client.get(uploads["mara.png"]["url"]).content == png((200, 30, 40))
    assert uploads["mara.png"]["used_as"] == "subject reference for Mara"
    assert "logo" in uploads["logo.png"]["used_as"]
    plan = stored_plan(settings, project_id)
    mara = plan.bible.subjects[0]
    assert mara.key == "mara" and mara.description.startswith("Mara")
    assert plan.bible.preset == "noir"
    assert any("mara" in s.subject_keys for s in plan.shots)


def test_a_document_reaches_the_planners_brief_and_labels_name_subjects(
    client, make_agent, settings
):
    agent = make_agent()
    request = {**HOSTED, "stage_behaviour": "halt_for_review"}
    files = hosted_files(request)
    body = client.post("/api/agent/renders", headers=agent.headers, files=files).json()
    status = wait_for(client, agent, body["project_id"], ("failed",), where=lambda b: b["shots"])
    plan = stored_plan(settings, body["project_id"])
    assert plan.bible.subjects[0].key == "mara"
    assert plan.bible.subjects[0].reference  # the upload itself pictures her
    assert plan.bible.palette == ("#143cc8",)  # the location reference's colour
    uploads = {u["filename"]: u["used_as"] for u in status["uploads"]}
    assert uploads["mara.png"] == "subject reference for Mara"
    assert any("brief.txt" in n and "planner's brief" in n for n in status["notes"])
    client.post(body["cancel_url"], headers=agent.headers)


def test_music_fields_are_known_and_noted_in_scene_mode(client, make_agent):
    agent = make_agent()
    extra = {"lyrics": "la la", "music_model": "lyria-002", "clip_audio": "duck"}
    body = submit(client, agent, {**SMALL_RENDER, **extra}).json()
    assert (
        "lyrics, music_model, clip_audio ignored: only project_mode music uses them"
        in (body["notes"])
    )
    client.post(body["cancel_url"], headers=agent.headers)


def test_clip_audio_is_mute_duck_or_keep(client, make_agent):
    agent = make_agent()
    refused = submit(client, agent, {**SMALL_RENDER, "clip_audio": "loud"})
    assert refused.status_code == 422
    assert refused.json()["error"]["field"] == "clip_audio"


def two_shots(**change) -> dict:
    shots = [dict(s) for s in CUSTOM["shots"]]
    shots[1].update(change)
    return {**CUSTOM, "shots": shots}


BAD_REQUESTS = [
    ({**SMALL_RENDER, "project_mode": "music", "shots": CUSTOM["shots"]}, "shots", "music mode"),
    ({**SMALL_RENDER, "shots": CUSTOM["shots"]}, "shots", "custom"),
    ({**CUSTOM, "shots": None}, "shots", "needs a list of shots"),
    (two_shots(duration_seconds=5), "shots[1].duration_seconds", "not 5"),
    (two_shots(camera="dolly_zoom"), "shots[1].camera", ""),
    (two_shots(mood="sad"), "shots[1].mood", "unknown field"),
    (two_shots(assets=["nobody.png"]), "shots[1].assets[0]", "nobody.png"),
    ({**CUSTOM, "shot_count": 3}, "shot_count", "disagrees"),
    ({**CUSTOM, "scene_target_duration_seconds": 20}, "scene_target_duration_seconds", "8 s"),
    ({**SMALL_RENDER, "visual_style_preset": "sepia"}, "visual_style_preset", ""),
    ({**SMALL_RENDER, "assets": [{"filename": "x.png"}]}, "assets[0].filename", "x.png"),
    (
        {**SMALL_RENDER, "assets": [{"filename": "x.png", "purpose": "poster"}]},
        "assets[0].purpose",
        "",
    ),
    ({**SMALL_RENDER, "shot_count": 65}, "shot_count", "64"),
    ({**SMALL_RENDER, "scene_target_duration_seconds": 3}, "scene_target_duration_seconds", "4"),
    ({**SMALL_RENDER, "scene_target_duration_seconds": 601}, "scene_target_duration_seconds", ""),
    ({**SMALL_RENDER, "style": "noir"}, "style", "unknown field"),
]


def test_an_asset_purpose_must_fit_its_files_kind(client, make_agent):
    agent = make_agent()
    request = {
        **SMALL_RENDER,
        "assets": [{"filename": "mara.txt", "purpose": "character_reference"}],
    }
    files = [
        ("request_json", (None, json.dumps(request))),
        ("files", ("mara.txt", b"a courier in a red coat", "text/plain")),
    ]
    response = client.post("/api/agent/renders", headers=agent.headers, files=files)
    error = assert_error(response, 422, "assets[0].purpose")
    assert "must be image; 'mara.txt' is text" in error["message"]


@pytest.mark.parametrize(("request_json", "field", "words"), BAD_REQUESTS)
def test_each_refusal_names_its_field(client, make_agent, request_json, field, words):
    agent = make_agent()
    body = {k: v for k, v in request_json.items() if v is not None}
    error = assert_error(submit(client, agent, body), 422, field)
    assert words in error["message"]


def test_the_models_api_lists_the_style_presets(client, make_agent):
    agent = make_agent()
    body = client.get("/api/agent/models", headers=agent.headers).json()
    presets = body["visual_style_presets"]
    assert [p["id"] for p in presets] == list(PRESET_NAMES)
    assert [p["id"] for p in presets if p["default"]] == ["realistic_cinematic"]
    assert all(p["description"] for p in presets)


def test_an_account_default_preset_reaches_the_render(client, make_agent):
    agent = make_agent(defaults={"visual_style_preset": "watercolor"})
    quote = client.post("/api/agent/renders/estimate", headers=agent.headers, json=SMALL_RENDER)
    assert quote.json()["settings"]["visual_style_preset"] == "watercolor"
    asked = {**SMALL_RENDER, "visual_style_preset": "anime"}
    quote = client.post("/api/agent/renders/estimate", headers=agent.headers, json=asked)
    assert quote.json()["settings"]["visual_style_preset"] == "anime"


def test_a_pdf_document_reference_is_accepted_and_read(client, make_agent):
    agent = make_agent()
    request = {
        **SMALL_RENDER,
        "stage_behaviour": "halt_for_review",
        "assets": [{"filename": "brief.pdf", "purpose": "document_reference"}],
    }
    files = [
        ("request_json", (None, json.dumps(request))),
        ("files", ("brief.pdf", pdf_with_text("Mara is a courier."), "application/pdf")),
    ]
    body = client.post("/api/agent/renders", headers=agent.headers, files=files).json()
    status = wait_for(client, agent, body["project_id"], ("failed",), where=lambda b: b["shots"])
    [upload] = status["uploads"]
    assert (upload["kind"], upload["content_type"]) == ("document", "application/pdf")
    assert upload["used_as"] == "document read into the planner's brief"
    client.post(body["cancel_url"], headers=agent.headers)


def test_the_settings_form_offers_every_preset_and_saves_one(client):
    sign_up(client)
    page = client.get("/settings").text
    assert "Visual style" in page
    assert all(f'value="{name}"' in page for name in PRESET_NAMES)
    form = {"csrf_token": form_token(client, "/settings"), "visual_style_preset": "claymation"}
    saved = client.post("/settings/defaults", data=form, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    defaults = client.get("/api/account/defaults").json()
    assert defaults["saved"] == {"visual_style_preset": "claymation"}
