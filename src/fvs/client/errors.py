"""What the client raises: one base class, and the studio's own refusals with their code.

Every message is one plain line, ready to print. A refusal keeps the API's error body:
`code` (stable, for programs), `message` (for people), `field` (the field at fault, or
None) and `status_code`, plus `body` with any extra facts (e.g. insufficient_credits'
`needed`, `available` and `how_to_add_credits`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from fvs.client.types import RenderStatus


class ClientError(RuntimeError):
    """The render could not be submitted, followed or downloaded; the message says why."""


class BadInput(ClientError):
    """The request file or a file to attach is unusable; nothing was sent."""


class StudioUnreachable(ClientError):
    """Nothing answered at the base URL: the studio is not running there, or the URL is wrong."""

    def __init__(self, base_url: str, reason: str) -> None:
        super().__init__(f"cannot reach the studio at {base_url} ({reason})")
        self.base_url = base_url
        self.reason = reason


class StudioRefused(ClientError):
    """The studio answered an HTTP error; `code`, `message` and `field` are the API's own."""

    def __init__(
        self,
        *,
        doing: str,
        status_code: int,
        code: str | None,
        message: str,
        field: str | None,
        body: dict[str, Any] | None = None,
        retry_after: float | None = None,
    ) -> None:
        what = " ".join(str(x) for x in (status_code, code) if x)
        where = f", field {field}" if field else ""
        super().__init__(f"the studio refused {doing} ({what}{where}): {message}")
        self.doing = doing
        self.status_code = status_code
        self.code = code
        self.message = message
        self.field = field
        self.body = body or {}
        self.retry_after = retry_after


class Unauthorized(StudioRefused):
    """401: the agent key is missing, unknown, revoked or expired."""


class InsufficientCredits(StudioRefused):
    """402: the wallet cannot cover the render; `how_to_add_credits` says what to do."""

    @property
    def needed(self) -> int | None:
        return self.body.get("needed")

    @property
    def available(self) -> int | None:
        return self.body.get("available")

    @property
    def how_to_add_credits(self) -> str | None:
        return self.body.get("how_to_add_credits")


class NotFound(StudioRefused):
    """404: no such render for this key's account."""


class Conflict(StudioRefused):
    """409: the render is not in a state that allows this (e.g. cancelling a finished one)."""


class InvalidRequest(StudioRefused):
    """422: a field, header or upload is invalid; `field` names it."""


_BY_STATUS: dict[int, type[StudioRefused]] = {
    401: Unauthorized,
    402: InsufficientCredits,
    404: NotFound,
    409: Conflict,
    422: InvalidRequest,
}


class RenderFailed(ClientError):
    """The studio ran the render and it failed or was cancelled; `status` is its last status."""

    def __init__(self, message: str, status: RenderStatus | None = None) -> None:
        super().__init__(message)
        self.status = status


class WaitTimedOut(RenderFailed):
    """The render was still running when the wait ran out; it goes on in the studio."""


def refusal(
    response: httpx.Response, *, doing: str, retry_after: float | None = None
) -> StudioRefused:
    """The studio's error answer as an exception: its {"error": {...}} body, or its text."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):  # not JSON, or JSON but not an object
        error = None
    if isinstance(error, dict) and error.get("message"):
        code, message, field = error.get("code"), str(error["message"]), error.get("field")
    else:
        error, code, message, field = None, None, response.text or response.reason_phrase, None
    kind = _BY_STATUS.get(response.status_code, StudioRefused)
    return kind(
        doing=doing,
        status_code=response.status_code,
        code=str(code) if code else None,
        message=one_line(message, 600),
        field=str(field) if field else None,
        body=error,
        retry_after=retry_after,
    )


def one_line(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
