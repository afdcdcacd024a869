"""A small agent-API client: submit a request, show progress per stage, download the MP4.

Used by `fvs render` and `fvs demo`; it speaks only the public HTTP API. Every failure is
a ClientError whose message is one plain line, ready to print.
"""

from __future__ import annotations

import json
import mimetypes
import re
import time
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any, BinaryIO

import httpx
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

from fvs.stages import WORK_STAGES

STAGES = tuple(w.stage.value for w in WORK_STAGES)
KEY_HEADER = "X-FVS-Agent-Key"
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
MAX_POLL_WAIT_SECONDS = 10.0


class ClientError(RuntimeError):
    """The render could not be submitted, followed or downloaded; the message says why."""


class BadInput(ClientError):
    """The request file or a file to attach is unusable; nothing was sent."""


class RenderFailed(ClientError):
    """The studio ran the render, and it failed, was cancelled, or never finished in time."""


class StudioUnreachable(ClientError):
    """Nothing answered at the base URL: the studio is not running there, or the URL is wrong."""

    def __init__(self, base_url: str, reason: str) -> None:
        super().__init__(f"cannot reach the studio at {base_url} ({reason})")


class StudioRefused(ClientError):
    """The studio answered an HTTP error; the message is the studio's own."""

    def __init__(
        self, *, doing: str, status_code: int, code: str | None, message: str, field: str | None
    ) -> None:
        what = " ".join(str(x) for x in (status_code, code) if x)
        where = f", field {field}" if field else ""
        super().__init__(f"the studio refused {doing} ({what}{where}): {message}")
        self.status_code = status_code
        self.code = code


def refusal(response: httpx.Response, *, doing: str) -> StudioRefused:
    """The studio's error answer in one line: its {"error": {...}} message, or its text."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):  # not JSON, or JSON but not an object
        error = None
    if isinstance(error, dict) and error.get("message"):
        code, message, field = error.get("code"), str(error["message"]), error.get("field")
    else:
        code, message, field = None, response.text or response.reason_phrase, None
    return StudioRefused(
        doing=doing,
        status_code=response.status_code,
        code=str(code) if code else None,
        message=_one_line(message, 300),
        field=str(field) if field else None,
    )


def _one_line(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _reason(exc: httpx.TransportError) -> str:
    """Why a connection failed, e.g. "connection refused", without the errno noise."""
    if isinstance(exc, httpx.TimeoutException):
        return "no answer in time"
    text = re.sub(r"^\[Errno -?\d+\]\s*", "", str(exc)).strip() or type(exc).__name__
    return text[:1].lower() + text[1:]


def _answer(response: httpx.Response, *, doing: str) -> dict[str, Any]:
    """The JSON object of a successful answer, or ClientError saying what was wrong."""
    if response.status_code >= 400:
        raise refusal(response, doing=doing)
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ClientError(
            f"{response.url} answered {doing} with something other than a JSON object; "
            "is the base URL a Future Video Studio?"
        )
    return body


_JSON_KINDS = {list: "an array", str: "a string", int: "a number", float: "a number"}
_JSON_KINDS |= {bool: "a boolean", type(None): "null"}


def load_request(path: Path) -> dict[str, Any]:
    """The request body in a JSON file, or BadInput naming what is wrong with the file."""
    try:
        request = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise BadInput(f"{path} is not UTF-8 text; the request must be a JSON object") from None
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise BadInput(
            f"{path} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    if not isinstance(request, dict):
        found = _JSON_KINDS.get(type(request), "something else")
        raise BadInput(f"{path} holds {found}; the request must be a JSON object {{...}}")
    return request


def upload_part(value: str) -> tuple[str, Path]:
    """A PART=PATH (the --file option) as the part name and an existing file, or BadInput."""
    part, equals, raw = value.partition("=")
    part = part.strip()
    if not equals or not part or not raw:
        raise BadInput(
            f"--file takes PART=PATH, e.g. --file reference_image=./mara.png; got {value!r}"
        )
    if part == "request_json":
        raise BadInput("--file cannot use the part name request_json; the request file fills it")
    path = Path(raw).expanduser()
    if not path.is_file():
        raise BadInput(
            f"--file {part}: {raw} {'is not a file' if path.exists() else 'does not exist'}"
        )
    return part, path


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "render"


def _stage_fractions(status: dict[str, Any]) -> dict[str, float]:
    stage = status["current_stage"]
    shots = status.get("shots") or []
    done = {s: 1.0 for s in STAGES} if status["status"] == "completed" else {}
    if not done:
        reached = STAGES.index(stage) if stage in STAGES else 0
        for s in STAGES[:reached]:
            done[s] = 1.0
        if stage == "storyboarding" and shots:
            done[stage] = sum(x["state"] != "planned" for x in shots) / len(shots)
        elif stage == "filming" and shots:
            done[stage] = sum(x["state"] == "filmed" for x in shots) / len(shots)
    return done


def follow(
    client: httpx.Client,
    status_url: str,
    *,
    console: Console,
    poll_seconds: float = 0.5,
    timeout_seconds: float = 3600,
) -> dict[str, Any]:
    """Poll a render with a progress bar per stage until it ends or halts for review."""
    deadline = time.monotonic() + timeout_seconds
    columns = (TextColumn("{task.description:<14}"), BarColumn(), TaskProgressColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        tasks = {s: progress.add_task(s, total=1.0) for s in STAGES}
        poll = _Poll(client, status_url)
        while True:
            status, wait = poll.next(default_wait=poll_seconds)
            for stage, fraction in _stage_fractions(status).items():
                progress.update(tasks[stage], completed=fraction)
            if status["status"] in ("completed", "failed", "cancelled"):
                return status
            if status.get("current_stage") == "halted_for_review":
                return status
            if time.monotonic() > deadline:
                raise RenderFailed(f"gave up waiting after {timeout_seconds:.0f} s")
            time.sleep(wait)


class _Poll:
    """Status polls that send back the last ETag and keep the body a 304 confirms."""

    def __init__(self, client: httpx.Client, status_url: str) -> None:
        self.client = client
        self.url = status_url
        self.etag: str | None = None
        self.status: dict[str, Any] = {}

    def next(self, *, default_wait: float) -> tuple[dict[str, Any], float]:
        """The render's status now, and how long the studio asks us to wait before the next."""
        headers = {"If-None-Match": self.etag} if self.etag and self.status else {}
        response = self.client.get(self.url, headers=headers)
        if response.status_code != 304:
            self.status = _answer(response, doing="the status poll")
            self.etag = response.headers.get("ETag")
        return self.status, _retry_after(response, default_wait)


def _retry_after(response: httpx.Response, default: float) -> float:
    # The studio's hint (seconds), capped so a long hint cannot stall the progress bars.
    try:
        return min(max(float(response.headers["Retry-After"]), 0.0), MAX_POLL_WAIT_SECONDS)
    except (KeyError, ValueError):
        return default


def render(
    *,
    base_url: str,
    key: str,
    request: dict[str, Any],
    out: Path | None,
    console: Console,
    files: Sequence[tuple[str, Path]] = (),
) -> Path:
    """Submit (with `files` as named upload parts), follow, download; the written MP4's path."""
    try:
        with (
            httpx.Client(base_url=base_url, headers={KEY_HEADER: key}, timeout=300) as client,
            ExitStack() as opened,
        ):
            parts: list[tuple[str, tuple[str | None, str | BinaryIO, str | None]]] = [
                ("request_json", (None, json.dumps(request), None))
            ]
            parts += [(part, _file_part(opened, path)) for part, path in files]
            submitted = client.post("/api/agent/renders", files=parts)
            return _follow_and_download(
                client, _answer(submitted, doing="the render"), out, console
            )
    except (httpx.UnsupportedProtocol, httpx.InvalidURL):
        raise ClientError(
            f"{base_url} is not an http:// or https:// URL; use e.g. {DEFAULT_BASE_URL}"
        ) from None
    except httpx.TransportError as exc:
        raise StudioUnreachable(base_url, _reason(exc)) from None
    except KeyError as exc:
        raise ClientError(
            f"the answer from {base_url} has no {exc}; is it a Future Video Studio?"
        ) from None


def _file_part(opened: ExitStack, path: Path) -> tuple[str, BinaryIO, str]:
    try:
        handle = opened.enter_context(path.open("rb"))
    except OSError as exc:
        raise ClientError(f"cannot read {path}: {exc.strerror or exc}") from None
    # The studio sniffs the kind from the bytes; the type is only a courtesy.
    return path.name, handle, mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def _follow_and_download(
    client: httpx.Client, job: dict[str, Any], out: Path | None, console: Console
) -> Path:
    console.print(
        f"render {job['project_id']} accepted; {job.get('credits_reserved', '?')} credits reserved"
    )
    status = follow(client, job["status_url"], console=console)
    if status.get("current_stage") == "halted_for_review":
        raise RenderFailed(
            f"render {status['project_id']} halted for review after a stage; "
            f"approve it with POST {status.get('approve_url')}, then poll {status['status_url']}"
        )
    if status["status"] != "completed":
        raise RenderFailed(status.get("last_error") or f"render {status['status']}")
    target = out or Path.cwd() / f"{slug(status['name'])}.mp4"
    with client.stream("GET", status["final_video_url"]) as stream:
        if stream.status_code >= 400:
            stream.read()
            raise refusal(stream, doing="the download")
        tmp = target.with_suffix(".part")
        with tmp.open("wb") as handle:
            for chunk in stream.iter_bytes(1 << 20):
                handle.write(chunk)
        tmp.replace(target)
    for stage, info in (status.get("stage_providers") or {}).items():
        if isinstance(info, dict) and info.get("standin"):
            console.print(
                f"[yellow]{stage}: {info['model']} was rendered by the local "
                f"stand-in {info['runs_on']} (an animatic, not {info['model']})"
            )
    return target
