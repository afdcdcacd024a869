"""Server-sent events as the studio streams them: a line decoder and the events that stop a wait.

Shared by the client's wait() and `fvs mcp`'s progress notes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class ServerEvent:
    """One server-sent event: its id, name and JSON data."""

    id: str | None
    event: str
    data: dict[str, Any]


class EventDecoder:
    """Server-sent events, line by line (the WHATWG event-stream format)."""

    def __init__(self) -> None:
        self.last_id: str | None = None
        self._event = ""
        self._data: list[str] = []

    def feed(self, line: str) -> ServerEvent | None:
        """Take one line (without its newline); a blank line ends an event and returns it."""
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None  # a comment, e.g. a keep-alive
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        elif name == "id" and "\0" not in value:
            self.last_id = value
        return None

    def _dispatch(self) -> ServerEvent | None:
        event, data = self._event or "message", "\n".join(self._data)
        self._event, self._data = "", []
        if not data:
            return None
        try:
            parsed = json.loads(data)
        except ValueError:
            parsed = {"data": data}
        if not isinstance(parsed, dict):
            parsed = {"data": parsed}
        return ServerEvent(self.last_id, event, parsed)


# A live stream ends a wait at one of these; then wait() reads the status once.
STOP_EVENTS = frozenset(
    {"render.completed", "render.failed", "render.cancelled", "render.halted_for_review"}
)


def is_event_stream(response: httpx.Response) -> bool:
    kind = response.headers.get("content-type", "")
    return response.status_code == 200 and kind.startswith("text/event-stream")
