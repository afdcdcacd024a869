"""Domain errors, each carrying its HTTP status and a stable code.

One handler in app.py renders all of them as
{"error": {"code": ..., "message": ..., "field": ..., "details": [...]}}.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ErrorBody(BaseModel):
    """What went wrong: a stable code, a message for people, and the field at fault."""

    # Some errors add facts of their own, e.g. insufficient_credits' needed and available.
    model_config = ConfigDict(extra="allow")

    code: str = Field(description="stable, for programs: unauthorized, insufficient_credits, ...")
    message: str = Field(description="for people: what was wrong and how to fix it")
    field: str | None = Field(description="the request field, header or part at fault, or null")
    details: list[dict[str, Any]] | None = Field(
        default=None, description="every problem found, when there was more than one"
    )


class ErrorResponse(BaseModel):
    """Every error's JSON body: {"error": {"code", "message", "field", "details"?}}."""

    error: ErrorBody


# What each status means on the agent API, with an example body (OpenAPI `responses`).
_ERRORS: dict[int, tuple[str, str, str, str | None]] = {
    401: (
        "The X-FVS-Agent-Key header is missing, malformed, unknown, revoked or expired.",
        "unauthorized",
        "send your managed key in the X-FVS-Agent-Key header",
        "X-FVS-Agent-Key",
    ),
    402: (
        "The wallet's available credits do not cover the charge; nothing was created.",
        "insufficient_credits",
        "this render needs 154 credits; the wallet has 20 available",
        None,
    ),
    404: (
        "No such render for this key's account (another account's render is 404 too).",
        "not_found",
        "no render proj_0123456789abcdef",
        "project_id",
    ),
    409: (
        "The render is not in a state that allows this.",
        "conflict",
        "render proj_0123456789abcdef already completed; nothing to cancel",
        "project_id",
    ),
    415: (
        "The body is neither multipart/form-data nor application/json.",
        "unsupported_media_type",
        "received application/x-www-form-urlencoded; send multipart/form-data with a "
        "request_json field, or application/json",
        "content-type",
    ),
    422: (
        "A field, parameter or upload is invalid; `field` names it, `details` lists all.",
        "invalid_request",
        "Input should be less than or equal to 60",
        "shot_count",
    ),
    503: (
        "The database stayed busy; nothing was saved. Retry shortly.",
        "service_busy",
        "the database is busy; retry shortly",
        None,
    ),
}


def error_responses(
    *statuses: int, described: dict[int, str] | None = None
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for these error statuses, each with our body and an example."""
    responses: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        description, code, message, field = _ERRORS[status]
        description = (described or {}).get(status, description)
        example = {"error": {"code": code, "message": message, "field": field}}
        responses[status] = {
            "model": ErrorResponse,
            "description": description,
            "content": {"application/json": {"example": example}},
        }
    return responses


class AppError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        details: list[dict[str, Any]] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details or []
        self.extra = extra

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message, "field": self.field}
        if self.details:
            body["details"] = self.details
        body.update(self.extra)
        return {"error": body}


class ValidationFailed(AppError):
    status_code = 422
    code = "invalid_request"

    def __init__(self, field: str | None, message: str, **extra: Any) -> None:
        super().__init__(message, field=field, **extra)


class Unauthorized(AppError):
    status_code = 401
    code = "unauthorized"


class NotFound(AppError):
    status_code = 404
    code = "not_found"


class Conflict(AppError):
    status_code = 409
    code = "conflict"


class UnsupportedMediaType(AppError):
    status_code = 415
    code = "unsupported_media_type"


class ServiceBusy(AppError):
    status_code = 503
    code = "service_busy"
