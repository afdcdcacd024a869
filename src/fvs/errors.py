"""Domain errors, each carrying its HTTP status and a stable code.

One handler in app.py renders all of them as
{"error": {"code": ..., "message": ..., "field": ..., "details": [...]}}.
"""

from __future__ import annotations

from typing import Any


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
