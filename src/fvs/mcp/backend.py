"""What the MCP tools need from a studio, and the error every backend raises."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class FileIn:
    """One reference file, as an upload part of the render request."""

    part: str
    filename: str
    data: bytes


class ApiError(Exception):
    """An answer the agent API refused with: its status and `{"error": {...}}` body."""

    def __init__(self, status_code: int, body: dict[str, Any]) -> None:
        self.status_code = status_code
        self.body = body
        super().__init__(json.dumps(body))

    @property
    def code(self) -> str:
        return str(self.body.get("error", {}).get("code", ""))


class Backend(Protocol):
    """One account's view of a studio; every method answers the agent API's JSON body."""

    async def submit(self, request: dict[str, Any], files: list[FileIn]) -> dict[str, Any]: ...

    async def status(self, project_id: str) -> dict[str, Any]: ...

    def events(self, project_id: str) -> AsyncGenerator[dict[str, Any], None]:
        """The render's live events from its first (progress.EventSource)."""
        ...

    async def cancel(self, project_id: str) -> dict[str, Any]: ...

    async def approve(self, project_id: str) -> dict[str, Any]: ...

    async def regenerate(self, project_id: str, shot_number: int) -> dict[str, Any]: ...

    async def estimate(self, request: dict[str, Any]) -> dict[str, Any]: ...

    async def wallet(self) -> dict[str, Any]: ...

    async def models(self) -> dict[str, Any]: ...

    async def reference(self) -> str:
        """The agent API page as Markdown."""
        ...
