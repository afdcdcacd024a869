"""The backend over a studio's public HTTP API, for `fvs mcp` on an agent's own machine."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any

import httpx

from fvs.client import KEY_HEADER
from fvs.client.sse import EventDecoder, is_event_stream
from fvs.mcp.backend import ApiError, FileIn
from fvs.mcp.progress import NoStream

API = "/api/agent"
TIMEOUT = httpx.Timeout(60.0, connect=10.0)
CHUNK = 1024 * 1024


def _unreachable(base_url: str, exc: httpx.HTTPError) -> ApiError:
    return ApiError(
        0,
        {
            "error": {
                "code": "studio_unreachable",
                "message": f"cannot reach the studio at {base_url}: {exc}; check FVS_BASE_URL",
                "field": None,
            }
        },
    )


def _refusal(response: httpx.Response) -> ApiError:
    """The API's own error body, or one in its shape when the answer was not ours."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not (isinstance(body, dict) and isinstance(body.get("error"), dict)):
        message = f"the studio answered HTTP {response.status_code}: {response.text[:200]}"
        body = {"error": {"code": "http_error", "message": message, "field": None}}
    return ApiError(response.status_code, body)


class RemoteBackend:
    """One key's calls to a studio's agent API over HTTP (httpx, async)."""

    def __init__(self, base_url: str, key: str, *, client: httpx.AsyncClient | None = None):
        self.base_url = base_url.rstrip("/")
        self.client = client or httpx.AsyncClient(
            base_url=self.base_url, headers={KEY_HEADER: key}, timeout=TIMEOUT
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self.client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise _unreachable(self.base_url, exc) from None
        if response.status_code >= 400:
            raise _refusal(response)
        return response

    async def _json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        body: dict[str, Any] = (await self._call(method, path, **kwargs)).json()
        return body

    async def submit(self, request: dict[str, Any], files: list[FileIn]) -> dict[str, Any]:
        # A retried submit (a dropped connection) replays the first answer, never a twin.
        headers = {"Idempotency-Key": uuid.uuid4().hex}
        if not files:
            return await self._json("POST", f"{API}/renders", json=request, headers=headers)
        parts: list[tuple[str, tuple[str | None, bytes | str]]] = [
            ("request_json", (None, json.dumps(request)))
        ]
        parts += [(f.part, (f.filename, f.data)) for f in files]
        return await self._json("POST", f"{API}/renders", files=parts, headers=headers)

    async def status(self, project_id: str) -> dict[str, Any]:
        return await self._json("GET", f"{API}/renders/{project_id}")

    async def events(self, project_id: str) -> AsyncGenerator[dict[str, Any], None]:
        url = f"{API}/renders/{project_id}/events"
        # Keep-alives come every 15 s: a minute of silence is a dead connection.
        timeout = httpx.Timeout(TIMEOUT.connect, read=60.0)
        try:
            async with self.client.stream(
                "GET", url, headers={"Accept": "text/event-stream"}, timeout=timeout
            ) as stream:
                if not is_event_stream(stream):
                    raise NoStream(url)  # no stream here: polling answers, or says why not
                decoder = EventDecoder()
                async for line in stream.aiter_lines():
                    event = decoder.feed(line)
                    if event is not None:
                        yield {"type": event.event, **event.data}
        except httpx.TransportError:
            return  # the stream dropped: the caller polls from here

    async def cancel(self, project_id: str) -> dict[str, Any]:
        return await self._json("POST", f"{API}/renders/{project_id}/cancel")

    async def approve(self, project_id: str) -> dict[str, Any]:
        return await self._json("POST", f"{API}/renders/{project_id}/approve")

    async def regenerate(self, project_id: str, shot_number: int) -> dict[str, Any]:
        return await self._json(
            "POST", f"{API}/renders/{project_id}/shots/{shot_number}/regenerate"
        )

    async def estimate(self, request: dict[str, Any]) -> dict[str, Any]:
        return await self._json("POST", f"{API}/renders/estimate", json=request)

    async def wallet(self) -> dict[str, Any]:
        return await self._json("GET", f"{API}/wallet")

    async def models(self) -> dict[str, Any]:
        return await self._json("GET", f"{API}/models")

    async def reference(self) -> str:
        return (await self._call("GET", "/docs/agent.md")).text

    async def download(self, url: str, path: Path) -> int:
        """Stream a signed media link to path; returns the bytes written."""
        written = 0
        try:
            async with self.client.stream("GET", url) as response:
                if response.status_code >= 400:
                    await response.aread()
                    raise _refusal(response)
                with path.open("wb") as out:
                    async for chunk in response.aiter_bytes(CHUNK):
                        written += out.write(chunk)
        except httpx.HTTPError as exc:
            raise _unreachable(self.base_url, exc) from None
        return written
