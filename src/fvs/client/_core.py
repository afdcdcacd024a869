"""What the sync and async clients share: building requests, reading answers, retry timing.

Nothing here does I/O, so Studio and AsyncStudio differ only in how they send.
"""

from __future__ import annotations

import json
import mimetypes
import os
import random
import re
import time
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, BinaryIO, TypeAlias

import httpx
from pydantic import BaseModel

from fvs.client import sse
from fvs.client.errors import BadInput, ClientError, StudioUnreachable, refusal
from fvs.client.types import Progress, RenderStatus

KEY_HEADER = "X-FVS-Agent-Key"
IDEMPOTENCY_HEADER = "Idempotency-Key"
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
RENDERS = "/api/agent/renders"

# A file to upload: a path, raw bytes, or (filename, bytes).
FileSource: TypeAlias = str | os.PathLike[str] | bytes | tuple[str, bytes]
Files: TypeAlias = Mapping[str, FileSource] | Sequence[tuple[str, FileSource]]
Request: TypeAlias = Mapping[str, Any] | BaseModel
Part: TypeAlias = tuple[str, tuple[str | None, str | bytes | BinaryIO, str | None]]


def request_body(request: Request) -> dict[str, Any]:
    """The request as the API's JSON object: a dict as given, a pydantic model as set."""
    if isinstance(request, BaseModel):
        # Only the fields the caller set: the rest take the account's saved defaults.
        return request.model_dump(mode="json", exclude_unset=True)
    if isinstance(request, Mapping):
        return dict(request)
    raise BadInput(f"the request must be a dict or a pydantic model, not {type(request).__name__}")


def file_list(files: Files | None) -> list[tuple[str, FileSource]]:
    """The files as (part, source) pairs; a path must exist before anything is sent."""
    pairs = list(files.items()) if isinstance(files, Mapping) else list(files or ())
    for part, source in pairs:
        if part == "request_json":
            raise BadInput("a file cannot use the part name request_json; the request fills it")
        if isinstance(source, str | os.PathLike) and not Path(source).is_file():
            raise BadInput(f"file {part}: {source} is not a file")
    return pairs


def multipart(
    opened: ExitStack, body: dict[str, Any], files: list[tuple[str, FileSource]]
) -> list[Part]:
    """The multipart parts: request_json first, then each file, opened afresh per attempt."""
    parts: list[Part] = [("request_json", (None, json.dumps(body), None))]
    for part, source in files:
        parts.append((part, _file_part(opened, source)))
    return parts


def _file_part(
    opened: ExitStack, source: FileSource
) -> tuple[str | None, bytes | BinaryIO, str | None]:
    if isinstance(source, bytes):
        return "upload", source, "application/octet-stream"
    if isinstance(source, tuple):
        name, data = source
        return name, data, _guess_type(name)
    path = Path(source)
    try:
        handle = opened.enter_context(path.open("rb"))
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc.strerror or exc}") from None
    return path.name, handle, _guess_type(path.name)


def _guess_type(name: str) -> str:
    # The studio sniffs the kind from the bytes; the type is only a courtesy.
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def answer(response: httpx.Response, *, doing: str) -> Any:
    """The JSON of a successful answer, or the studio's refusal as an exception."""
    if response.status_code >= 400:
        raise refusal(response, doing=doing, retry_after=retry_after(response))
    try:
        return response.json()
    except ValueError:
        raise ClientError(
            f"{response.url} answered {doing} with something other than JSON; "
            "is the base URL a Future Video Studio?"
        ) from None


def json_object(response: httpx.Response, *, doing: str) -> dict[str, Any]:
    body = answer(response, doing=doing)
    if not isinstance(body, dict):
        raise ClientError(
            f"{response.url} answered {doing} with something other than a JSON object; "
            "is the base URL a Future Video Studio?"
        )
    return body


def transport_reason(exc: httpx.TransportError) -> str:
    """Why a connection failed, e.g. "connection refused", without the errno noise."""
    if isinstance(exc, httpx.TimeoutException):
        return "no answer in time"
    text = re.sub(r"^\[Errno -?\d+\]\s*", "", str(exc)).strip() or type(exc).__name__
    return text[:1].lower() + text[1:]


def retry_after(response: httpx.Response) -> float | None:
    """The Retry-After header in seconds (a number or an HTTP date), or None."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


@dataclass(frozen=True)
class Retries:
    """When to send a request again: how often, and how long to wait between tries."""

    attempts: int = 3
    base_delay: float = 0.25
    max_delay: float = 8.0

    def delay(self, attempt: int, response: httpx.Response | None = None) -> float:
        """Seconds before try `attempt + 1`: the studio's Retry-After, else jittered backoff."""
        told = retry_after(response) if response is not None else None
        if told is not None:
            return min(told, self.max_delay)
        backoff = min(self.base_delay * 2**attempt, self.max_delay)
        return backoff * (0.5 + random.random() / 2)

    def again(self, attempt: int, response: httpx.Response) -> bool:
        """Whether this answer is worth another try: busy (429, 5xx) or a key still in use."""
        if attempt + 1 >= self.attempts:
            return False
        if response.status_code == 429 or response.status_code >= 500:
            return True
        # Our own earlier try is still being accepted: its answer will be replayed.
        return response.status_code == 409 and _code(response) == "idempotency_key_in_use"


def _code(response: httpx.Response) -> str | None:
    try:
        return str(response.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return None


@dataclass(frozen=True)
class Polling:
    """How wait() polls: the default interval, bounded, unless the studio says Retry-After."""

    interval: float = 1.0
    min_interval: float = 0.1
    max_interval: float = 30.0

    def next_delay(self, response: httpx.Response | None, remaining: float) -> float:
        told = retry_after(response) if response is not None else None
        delay = self.interval if told is None else told
        return max(0.0, min(max(delay, self.min_interval), self.max_interval, remaining))


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "render"


def event_progress(event: sse.ServerEvent) -> Progress:
    data = event.data
    return Progress(
        str(data.get("type") or event.event),
        str(data.get("status", "")),
        str(data.get("stage", "")),
        data,
    )


def settled(status: RenderStatus) -> bool:
    return status.finished or status.halted


def may_retry(exc: httpx.TransportError, idempotent: bool, attempt: int, retries: Retries) -> bool:
    if attempt + 1 >= retries.attempts or isinstance(exc, httpx.UnsupportedProtocol):
        return False
    # A request that never reached the studio is safe to send again, whatever it does.
    return idempotent or isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)


def retry_answer(
    response: httpx.Response, idempotent: bool, attempt: int, retries: Retries
) -> bool:
    # A 429 was refused before any work; other failures only where repeating is harmless.
    return (idempotent or response.status_code == 429) and retries.again(attempt, response)


def unreachable(base_url: str, exc: httpx.TransportError) -> ClientError:
    if isinstance(exc, httpx.UnsupportedProtocol):
        return not_http(base_url)
    return StudioUnreachable(base_url, transport_reason(exc))


def not_http(base_url: str) -> ClientError:
    return ClientError(f"{base_url} is not an http:// or https:// URL; use e.g. {DEFAULT_BASE_URL}")


def same_origin(url: str, base_url: str) -> bool:
    a, b = httpx.URL(url), httpx.URL(base_url)
    return (a.scheme, a.host, a.port) == (b.scheme, b.host, b.port)


RenderRef: TypeAlias = str | RenderStatus


# A status and the answer it came in: its ETag makes the next poll conditional.
Known: TypeAlias = tuple[RenderStatus, httpx.Response]


def if_none_match(known: Known | None) -> dict[str, str] | None:
    """The header that asks for the status only if it changed since `known`."""
    tag = known[1].headers.get("ETag") if known is not None else None
    return {"If-None-Match": tag} if tag else None


def project_id_of(render: RenderRef) -> str:
    return render.project_id if isinstance(render, RenderStatus) else str(render)
