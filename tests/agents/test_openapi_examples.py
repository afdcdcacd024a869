"""Walk /openapi.json: every agent operation has an example request and an example answer
for every status it documents, errors in the one error shape with a code the page lists."""

from __future__ import annotations

import pytest

from fvs.agents.error_codes import error_codes
from fvs.errors import ErrorResponse

ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}
DISCOVERY = {
    "/docs/agent": "text/html",
    "/docs/agent.md": "text/markdown",
    "/llms.txt": "text/plain",
    "/.well-known/agent-card.json": "application/json",
    "/.well-known/mcp/server.json": "application/json",
}


@pytest.fixture
def spec(client) -> dict:
    return client.get("/openapi.json").json()


def _agent_operations(spec: dict):
    for path, item in spec["paths"].items():
        if path.startswith("/api/agent"):
            for method, operation in item.items():
                yield f"{method.upper()} {path}", operation


def test_every_agent_request_has_an_example(spec):
    walked = 0
    for name, operation in _agent_operations(spec):
        walked += 1
        for param in operation.get("parameters", []):
            assert "example" in param, (name, param["name"])
        for media, content in operation.get("requestBody", {}).get("content", {}).items():
            examples = [content.get("example")] + [
                p.get("example") for p in content["schema"].get("properties", {}).values()
            ]
            assert any(e is not None for e in examples), (name, media)
    assert walked == 12  # 10, the render webhook secret, the event stream


def test_every_agent_answer_has_an_example_and_errors_have_our_shape(spec):
    known = {(e.status, e.code) for e in error_codes()}
    for name, operation in _agent_operations(spec):
        assert "401" in operation["responses"], name
        for status, answer in operation["responses"].items():
            if status == "304":  # Not Modified has no body by definition
                continue
            contents = answer["content"]
            content = contents.get("application/json") or contents["text/event-stream"]
            assert "example" in content, (name, status)
            if status.startswith(("4", "5")):
                assert content["schema"] == ERROR_REF, (name, status)
                error = ErrorResponse.model_validate(content["example"]).error
                assert (int(status), error.code) in known, (name, status, error.code)


def test_a_body_taking_agent_route_documents_the_413(spec):
    for name, operation in _agent_operations(spec):
        if "requestBody" in operation:
            example = operation["responses"]["413"]["content"]["application/json"]["example"]
            assert example["error"]["code"] == "request_too_large", name


def test_a_parameters_422_names_the_parameter(spec):
    answer = spec["paths"]["/api/agent/renders/{project_id}/shots/{shot_number}/regenerate"]
    example = answer["post"]["responses"]["422"]["content"]["application/json"]["example"]
    assert example["error"]["field"] == "shot_number"


def test_the_discovery_routes_are_documented_with_their_media_types(spec, client):
    for path, media in DISCOVERY.items():
        operation = spec["paths"][path]["get"]
        assert operation["tags"] == ["discovery"] and operation["summary"], path
        assert media in operation["responses"]["200"]["content"], path
        assert "security" not in operation, path  # public: it is how an agent gets started
        assert client.get(path).headers["content-type"].startswith(media), path
    card = spec["paths"]["/.well-known/agent-card.json"]["get"]["responses"]["200"]
    assert card["content"]["application/json"]["example"]["skills"]
