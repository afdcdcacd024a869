"""Studio: the blocking client for a studio's agent API.

studio = Studio("http://127.0.0.1:8000", key)
status = studio.render({"screenplay": "A fox at dawn.", "shot_count": 2})
studio.download(status, "fox.mp4")
"""

from __future__ import annotations

import asyncio
import inspect
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import ExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from fvs.client import _core, sse
from fvs.client._core import (
    DEFAULT_BASE_URL,
    IDEMPOTENCY_HEADER,
    KEY_HEADER,
    RENDERS,
    Files,
    Polling,
    Request,
    Retries,
)
from fvs.client.errors import ClientError, RenderFailed, StudioUnreachable, WaitTimedOut, refusal
from fvs.client.types import Estimate, Progress, RenderStatus, Wallet

# A plain function or a coroutine function; its result is awaited when it is awaitable.
OnProgress = Callable[[Progress], object | Awaitable[object]]
RenderRef = _core.RenderRef


class AsyncStudio:
    """A studio's agent API over HTTP, with one agent key (asyncio; see Studio).

    Submits carry an automatic Idempotency-Key, so their network retries never start a
    second render. Refusals raise StudioRefused subclasses carrying the API's code,
    message and field; a studio that cannot be reached raises StudioUnreachable.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        key: str | None = None,
        *,
        timeout: float = 60.0,
        retries: Retries | None = None,
        polling: Polling | None = None,
        events: bool = True,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        key = key or os.environ.get("FVS_AGENT_KEY", "")
        self.retries = retries or Retries()
        self.polling = polling or Polling()
        # Follow a render's live event stream in wait(), falling back to polling.
        self.events = events
        self._http = http or httpx.AsyncClient(
            base_url=self.base_url, headers={KEY_HEADER: key}, timeout=timeout
        )

    async def __aenter__(self) -> AsyncStudio:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._http.aclose()

    # --- the API --------------------------------------------------------------------------

    async def submit(
        self, request: Request, files: Files | None = None, *, idempotency_key: str | None = None
    ) -> RenderStatus:
        """Submit a render (with files as named upload parts); its first status."""
        body, pairs = _core.request_body(request), _core.file_list(files)
        # One key per submit, reused by its retries: the studio replays instead of rendering twice.
        headers = {IDEMPOTENCY_HEADER: idempotency_key or str(uuid.uuid4())}
        response = await self._send(
            "POST", RENDERS, idempotent=True, headers=headers, parts=(body, pairs)
        )
        return RenderStatus.model_validate(_core.json_object(response, doing="the render"))

    async def get(self, render: RenderRef) -> RenderStatus:
        """A render's status now."""
        return (await self._status(_core.project_id_of(render)))[0]

    async def cancel(self, render: RenderRef) -> RenderStatus:
        """Cancel a render; its status after."""
        path = f"{RENDERS}/{_core.project_id_of(render)}/cancel"
        return self._status_answer(await self._send("POST", path), "the cancel")

    async def approve(self, render: RenderRef) -> RenderStatus:
        """Approve a storyboard halted for review: filming starts."""
        path = f"{RENDERS}/{_core.project_id_of(render)}/approve"
        return self._status_answer(await self._send("POST", path), "the approval")

    async def estimate(self, request: Request, files: Files | None = None) -> Estimate:
        """What a request would cost, and whether the wallet can afford it; charges nothing."""
        body, pairs = _core.request_body(request), _core.file_list(files)
        path = f"{RENDERS}/estimate"
        response = await self._send("POST", path, idempotent=True, parts=(body, pairs))
        return Estimate.model_validate(_core.json_object(response, doing="the estimate"))

    async def wallet(self) -> Wallet:
        """The key's wallet: available, held and posted credits."""
        response = await self._send("GET", "/api/agent/wallet", idempotent=True)
        return Wallet.model_validate(_core.json_object(response, doing="the wallet"))

    async def models(self) -> dict[str, Any]:
        """The model registry as the API answers it: {"models": [...], ...}."""
        response = await self._send("GET", "/api/agent/models", idempotent=True)
        return _core.json_object(response, doing="the model list")

    async def render(
        self,
        request: Request,
        files: Files | None = None,
        *,
        on_progress: OnProgress | None = None,
        timeout: float = 3600,
    ) -> RenderStatus:
        """Submit, wait, and return the final status; RenderFailed if it failed or was cancelled.

        A render that halts for review (stage_behaviour halt_for_review) is returned as it
        stands, `halted` true: approve() it, then wait() again.
        """
        status = await self.wait(
            await self.submit(request, files), timeout=timeout, on_progress=on_progress
        )
        if status.status in ("failed", "cancelled"):
            raise RenderFailed(status.last_error or f"render {status.status}", status)
        return status

    async def wait(
        self, render: RenderRef, *, timeout: float = 3600, on_progress: OnProgress | None = None
    ) -> RenderStatus:
        """The status once the render finishes or halts for review; WaitTimedOut after timeout.

        Follows the render's live event stream where the studio has one, else polls, at the
        interval the studio asks for with Retry-After.
        """
        project_id = _core.project_id_of(render)
        deadline = time.monotonic() + timeout
        report = on_progress or _ignore
        status, response = await self._status(project_id)
        await _call(report, Progress.polled(status))
        if _core.settled(status):
            return status
        if self.events and await self._follow_events(project_id, deadline, report):
            status, response = await self._status(project_id)
            await _call(report, Progress.polled(status))
            if _core.settled(status):
                return status
        return await self._poll(project_id, deadline, report, (status, response))

    async def download(self, render: RenderRef, path: str | Path | None = None) -> Path:
        """Write the render's final MP4 to path (default: its name, here); the path written."""
        status = render if isinstance(render, RenderStatus) else await self.get(render)
        if not status.final_video_url:
            raise ClientError(f"render {status.project_id} has no final video ({status.status})")
        target = Path(path) if path else Path.cwd() / f"{_core.slug(status.name)}.mp4"
        try:
            async with self._download_stream(status.final_video_url) as stream:
                await _write_stream(stream, target)
        except httpx.TransportError as exc:
            raise StudioUnreachable(self.base_url, _core.transport_reason(exc)) from None
        return target

    # --- sending ----------------------------------------------------------------------------

    async def _send(
        self,
        method: str,
        url: str,
        *,
        idempotent: bool = False,
        parts: tuple[dict[str, Any], list[tuple[str, _core.FileSource]]] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send, retrying what is safe to retry; StudioUnreachable when nothing answers."""
        attempt = 0
        while True:
            try:
                response = await self._once(method, url, parts, kwargs)
            except httpx.InvalidURL:
                raise _core.not_http(self.base_url) from None
            except httpx.TransportError as exc:
                if not _core.may_retry(exc, idempotent, attempt, self.retries):
                    raise _core.unreachable(self.base_url, exc) from None
                await asyncio.sleep(self.retries.delay(attempt))
            else:
                if not _core.retry_answer(response, idempotent, attempt, self.retries):
                    return response
                await asyncio.sleep(self.retries.delay(attempt, response))
            attempt += 1

    async def _once(
        self,
        method: str,
        url: str,
        parts: tuple[dict[str, Any], list[tuple[str, _core.FileSource]]] | None,
        kwargs: dict[str, Any],
    ) -> httpx.Response:
        with ExitStack() as opened:
            files = _core.multipart(opened, *parts) if parts else None
            return await self._http.request(method, url, files=files, **kwargs)

    async def _status(
        self, project_id: str, known: _core.Known | None = None
    ) -> tuple[RenderStatus, httpx.Response]:
        """The status; with `known` (a status and the answer it came in), asked conditionally:
        a 304 means that status is still current."""
        url = f"{RENDERS}/{project_id}"
        headers = _core.if_none_match(known)
        response = await self._send("GET", url, idempotent=True, headers=headers)
        if response.status_code == 304 and known is not None:
            return known[0], response
        return self._status_answer(response, "the status poll"), response

    @staticmethod
    def _status_answer(response: httpx.Response, doing: str) -> RenderStatus:
        return RenderStatus.model_validate(_core.json_object(response, doing=doing))

    def _download_stream(self, url: str) -> Any:
        # The key goes only to this studio, never to an object store's signed URL.
        if httpx.URL(url).is_relative_url or _core.same_origin(url, self.base_url):
            return self._http.stream("GET", url)
        return _foreign_stream(url, self._http.timeout)

    # --- waiting ----------------------------------------------------------------------------

    async def _poll(
        self,
        project_id: str,
        deadline: float,
        report: OnProgress,
        known: _core.Known,
    ) -> RenderStatus:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                status = await self.get(project_id)
                raise WaitTimedOut(
                    f"render {project_id} still {status.status} at the wait's end", status
                )
            await asyncio.sleep(self.polling.next_delay(known[1], remaining))
            known = await self._status(project_id, known)
            status = known[0]
            await _call(report, Progress.polled(status))
            if _core.settled(status):
                return status

    async def _follow_events(self, project_id: str, deadline: float, report: OnProgress) -> bool:
        """Follow the live stream until a stop event (True), or False if it is not there."""
        url = f"{RENDERS}/{project_id}/events"
        timeout = httpx.Timeout(self._http.timeout.connect, read=self.polling.max_interval * 2)
        try:
            async with self._http.stream(
                "GET", url, headers={"Accept": "text/event-stream"}, timeout=timeout
            ) as stream:
                if not sse.is_event_stream(stream):
                    return False  # no stream here (404, 405): poll instead
                return await _read_events(stream, deadline, report)
        except httpx.TransportError:
            return False  # the stream dropped: poll instead


async def _read_events(stream: httpx.Response, deadline: float, report: OnProgress) -> bool:
    decoder = sse.EventDecoder()
    async for line in stream.aiter_lines():
        event = decoder.feed(line)
        if event is not None:
            await _call(report, _core.event_progress(event))
            if event.event in sse.STOP_EVENTS:
                return True
        if time.monotonic() >= deadline:
            return False
    return False


async def _write_stream(stream: httpx.Response, target: Path) -> None:
    if stream.status_code >= 400:
        await stream.aread()
        raise refusal(stream, doing="the download")
    tmp = target.with_name(target.name + ".part")
    with tmp.open("wb") as handle:
        async for chunk in stream.aiter_bytes(1 << 20):
            handle.write(chunk)
    tmp.replace(target)


async def _call(report: OnProgress, progress: Progress) -> None:
    result = report(progress)
    if inspect.isawaitable(result):
        await result


def _ignore(_progress: Progress) -> None:
    return None


@asynccontextmanager
async def _foreign_stream(url: str, timeout: httpx.Timeout) -> AsyncIterator[httpx.Response]:
    async with (
        httpx.AsyncClient(timeout=timeout) as bare,
        bare.stream("GET", url) as stream,
    ):
        yield stream
