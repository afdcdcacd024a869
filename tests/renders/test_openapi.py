"""/openapi.json drives the agent API without the README, and /docs works offline."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest

from fvs.errors import ErrorResponse
from fvs.renders import docs
from fvs.renders.listing import RenderPage
from fvs.renders.schemas import Estimate, RenderRequest, RenderStatus, parse_render_request
from tests.conftest import SMALL_RENDER

AGENT_PREFIX = "/api/agent"
ERROR_REF = "#/components/schemas/ErrorResponse"
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def spec(client) -> dict:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


def _agent_operations(spec: dict):
    for path, item in spec["paths"].items():
        if path.startswith(AGENT_PREFIX):
            for method, operation in item.items():
                yield f"{method.upper()} {path}", operation


def _resolve(spec: dict, ref: str) -> dict:
    assert ref.startswith("#/components/schemas/"), ref
    return spec["components"]["schemas"][ref.rsplit("/", 1)[1]]


@pytest.mark.parametrize("path", ["/api/agent/renders", "/api/agent/renders/estimate"])
def test_the_submit_body_is_documented_as_multipart_and_json(spec, path):
    body = spec["paths"][path]["post"]["requestBody"]
    assert body["required"] is True
    form = body["content"]["multipart/form-data"]["schema"]
    assert form["required"] == ["request_json"]
    field = form["properties"]["request_json"]
    assert field["type"] == "string" and field["contentMediaType"] == "application/json"
    request = _resolve(spec, field["contentSchema"]["$ref"])
    assert set(request["properties"]) == set(RenderRequest.model_fields)
    # The screenplay is required in scene mode only, which the resolver checks.
    assert "required" not in request
    assert request["additionalProperties"] is False  # unknown fields are a 422
    assert parse_render_request(json.loads(field["example"])) == parse_render_request(
        docs.RENDER_REQUEST_EXAMPLE
    )
    for part in ("reference_image", "audio", "script"):
        assert form["properties"][part]["format"] == "binary"
    assert form["additionalProperties"]["format"] == "binary"
    plain = body["content"]["application/json"]
    assert plain["schema"] == field["contentSchema"]
    parse_render_request(plain["example"])


def test_the_submit_documents_202_and_200_with_the_render_status(spec):
    operation = spec["paths"]["/api/agent/renders"]["post"]
    answers = operation["responses"]
    assert "default" not in answers
    for status in ("202", "200"):
        content = answers[status]["content"]["application/json"]
        assert content["schema"] == {"$ref": "#/components/schemas/RenderStatus"}
    assert answers["202"]["content"]["application/json"]["example"]["status"] == "queued"
    assert answers["200"]["content"]["application/json"]["example"]["status"] == "completed"
    assert {"401", "402", "409", "415", "422"} <= set(answers)
    header = operation["parameters"][0]
    assert header["name"] == "Idempotency-Key" and header["in"] == "header"


def test_every_agent_route_explains_itself(spec):
    operations = dict(_agent_operations(spec))
    assert "GET /api/agent/renders" in operations
    assert len(operations) == 12  # 10, the render webhook secret, the event stream
    for name, operation in operations.items():
        assert operation["security"] == [{"AgentKey": []}], name
        assert operation["summary"] and operation["description"], name
        answers = operation["responses"]
        success = next(answers[s] for s in ("202", "200") if s in answers)
        # The event stream documents a text/event-stream example instead of JSON.
        body = success["content"].get("application/json") or success["content"]["text/event-stream"]
        assert body["example"], name
        assert "401" in answers, name


def test_the_key_is_an_api_key_header_scheme(spec):
    scheme = spec["components"]["securitySchemes"]["AgentKey"]
    assert scheme["type"] == "apiKey"
    assert scheme["in"] == "header" and scheme["name"] == "X-FVS-Agent-Key"


def test_errors_are_documented_with_our_body_not_fastapis(spec):
    schemas = spec["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    assert "HTTPValidationError" not in json.dumps(spec)
    error = _resolve(spec, schemas["ErrorResponse"]["properties"]["error"]["$ref"])
    assert error["required"] == ["code", "message", "field"]
    assert "details" in error["properties"]
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            for status, answer in operation["responses"].items():
                if status.startswith(("4", "5")):
                    content = answer["content"]["application/json"]
                    assert content["schema"] == {"$ref": ERROR_REF}, (method, path, status)
                    if "example" in content:
                        ErrorResponse.model_validate(content["example"])


def test_documented_errors_keep_their_nulls(spec):
    answers = spec["paths"]["/api/agent/renders"]["post"]["responses"]
    example = answers["402"]["content"]["application/json"]["example"]
    assert example["error"]["field"] is None
    queued = answers["202"]["content"]["application/json"]["example"]
    assert queued["final_video_url"] is None and queued["last_error"] is None


@pytest.mark.parametrize(
    ("model", "example"),
    [
        (RenderStatus, docs.QUEUED_EXAMPLE),
        (RenderStatus, docs.COMPLETED_EXAMPLE),
        (RenderStatus, docs.HALTED_EXAMPLE),
        (RenderStatus, docs.APPROVED_EXAMPLE),
        (Estimate, docs.ESTIMATE_EXAMPLE),
        (RenderPage, docs.PAGE_EXAMPLE),
    ],
)
def test_examples_are_valid_bodies(model, example):
    assert model.model_validate(example).model_dump(mode="json") == example


@pytest.mark.settings(executor="none")
def test_the_submit_example_has_the_live_answers_fields(client, make_agent):
    agent = make_agent()
    response = client.post(
        "/api/agent/renders",
        headers=agent.headers,
        files={"request_json": (None, json.dumps(SMALL_RENDER))},
    )
    assert response.status_code == 202
    assert list(response.json()) == list(docs.QUEUED_EXAMPLE)


def test_a_missing_or_empty_key_is_our_401_not_fastapis_403(client):
    for headers in ({}, {"X-FVS-Agent-Key": ""}):
        response = client.get("/api/agent/wallet", headers=headers)
        assert response.status_code == 401
        assert response.json()["error"]["field"] == "X-FVS-Agent-Key"


def test_a_form_encoded_submit_is_told_what_was_received_and_the_fix(client, make_agent):
    agent = make_agent()
    response = client.post(
        "/api/agent/renders",
        headers=agent.headers,
        data={"request_json": json.dumps(SMALL_RENDER)},
    )
    assert response.status_code == 415
    error = response.json()["error"]
    assert error["field"] == "content-type"
    assert error["received"] == "application/x-www-form-urlencoded"
    message = error["message"]
    assert "received application/x-www-form-urlencoded" in message
    assert "multipart/form-data" in message and "request_json" in message
    assert 'files={"request_json": (None, json.dumps(body))}' in message
    assert "application/json" in message.split("request_json")[-1]


def _local_assets(html: str) -> list[str]:
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert urls
    for url in urls:
        assert not urlparse(url).netloc, f"{url} is not served by the studio"
    return urls


@pytest.mark.parametrize(
    ("page", "kinds"),
    [
        ("/docs", {"text/javascript", "text/css", "image/png"}),
        ("/redoc", {"text/javascript", "image/png"}),
    ],
)
def test_the_docs_pages_load_nothing_from_outside(client, page, kinds):
    response = client.get(page)
    assert response.status_code == 200
    assert "cdn." not in response.text and "googleapis" not in response.text
    served = set()
    for url in _local_assets(response.text):
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 1000, url
        served.add(asset.headers["content-type"].split(";")[0])
    assert served == kinds
    assert "/openapi.json" in response.text


@pytest.mark.slow
def test_swagger_ui_renders_every_agent_route_offline(settings):
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is missing")
    from playwright.sync_api import sync_playwright

    from tests.threaded_server import serve_in_thread

    outside: list[str] = []

    def only_local(route) -> None:
        if urlparse(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:  # as if offline
            outside.append(route.request.url)
            route.abort()

    with serve_in_thread(settings) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.route("**/*", only_local)
            page.goto(f"{base}/docs")
            page.wait_for_selector(".opblock-summary-path", timeout=30_000)
            paths = page.locator(".opblock-summary-path").all_inner_texts()
        finally:
            browser.close()
    assert outside == []
    assert any(p.strip() == "/api/agent/renders" for p in paths)
    assert len([p for p in paths if p.strip().startswith(AGENT_PREFIX)]) == 12
