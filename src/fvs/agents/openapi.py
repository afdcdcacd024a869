"""Completes /openapi.json for agents: an example for every agent request and answer.

The routes declare their own success examples and most error answers (fvs.errors.
error_responses); FastAPI adds a few answers of its own (the 422 of any route with
parameters) with no example, and nothing says which parameter values to try. This
fills those gaps after the schema is generated, so every operation under /api/agent
shows an example request (each parameter and body) and an example answer for every
status, errors in the one error shape.
"""

from __future__ import annotations

from typing import Any

from fvs.config import Settings
from fvs.errors import error_responses
from fvs.ops.body_limits import RequestTooLarge, upload_cap
from fvs.renders import docs

AGENT_PREFIX = "/api/agent"
ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}

# An example value for each parameter the agent routes take, by name.
PARAMETER_EXAMPLES: dict[str, Any] = {
    "project_id": docs.PROJECT,
    "shot_number": 1,
    "last_event_id": 12,
    "Last-Event-ID": "12",
    "limit": 20,
    "cursor": docs.PAGE_EXAMPLE["next_cursor"],
    "status": "completed",
    "Idempotency-Key": "3f0c9a52-8d5e-4b7e-9a55-0f1d2c3b4a59",
}


def _error_example(code: str, message: str, field: str | None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "field": field}}


def _invalid_parameter(operation: dict[str, Any]) -> dict[str, Any]:
    # FastAPI's own 422 for a malformed parameter: name the first one that can be wrong.
    params = operation.get("parameters", [])
    typed = [p for p in params if p.get("schema", {}).get("type") in ("integer", "number")]
    param = (typed or params or [{"name": None}])[0]
    name = param["name"]
    message = "Input should be a valid integer" if typed else "Input is not valid"
    return _error_example("invalid_request", message, name)


def _too_large() -> dict[str, Any]:
    # What the body limits answer before a submit's body outgrows its cap.
    error = RequestTooLarge(upload_cap(Settings.model_construct()))
    return {
        "description": "The body is larger than the studio accepts; nothing was read further.",
        "content": {"application/json": {"schema": ERROR_REF, "example": error.to_json()}},
    }


def _names_an_input(operation: dict[str, Any], example: dict[str, Any] | None) -> bool:
    # error_responses' stock 422 names a body field; a route without a body needs its own.
    if example is None:
        return False
    names = {p["name"] for p in operation.get("parameters", [])}
    return "requestBody" in operation or example["error"]["field"] in names


def _complete_errors(operation: dict[str, Any]) -> None:
    answers = operation["responses"]
    if "401" not in answers:  # every agent route needs the key
        declared = error_responses(401)[401]
        example = declared["content"]["application/json"]["example"]
        answers["401"] = {
            "description": declared["description"],
            "content": {"application/json": {"schema": ERROR_REF, "example": example}},
        }
    if "requestBody" in operation and "413" not in answers:
        answers["413"] = _too_large()
    for status, answer in answers.items():
        if not status.startswith(("4", "5")):
            continue
        body = answer.setdefault("content", {}).setdefault("application/json", {})
        body.setdefault("schema", ERROR_REF)
        if status == "422" and not _names_an_input(operation, body.get("example")):
            body["example"] = _invalid_parameter(operation)


def _complete_parameters(operation: dict[str, Any]) -> None:
    for param in operation.get("parameters", []):
        if "example" not in param and param["name"] in PARAMETER_EXAMPLES:
            param["example"] = PARAMETER_EXAMPLES[param["name"]]


def complete_agent_examples(schema: dict[str, Any]) -> None:
    """Give every /api/agent operation example parameters and an example for every answer."""
    for path, operations in schema.get("paths", {}).items():
        if not path.startswith(AGENT_PREFIX):
            continue
        for operation in operations.values():
            _complete_parameters(operation)
            _complete_errors(operation)
