"""A small Server-Sent Events reader for tests: events as dicts, pings counted."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Event:
    id: int
    type: str
    data: dict[str, Any]


@dataclass
class Reader:
    pings: int = 0
    _fields: dict[str, str] = field(default_factory=dict)

    def feed(self, line: str) -> Event | None:
        """One line of the stream; an Event when a blank line completes one."""
        if line.startswith(":"):
            self.pings += 1
            return None
        if line:
            name, _, value = line.partition(":")
            self._fields[name] = self._fields.get(name, "") + value.removeprefix(" ")
            return None
        fields, self._fields = self._fields, {}
        if "data" not in fields:
            return None
        return Event(int(fields["id"]), fields.get("event", "message"), json.loads(fields["data"]))

    def events(self, lines: Iterable[str]) -> Iterator[Event]:
        for line in lines:
            found = self.feed(line.rstrip("\r"))
            if found is not None:
                yield found
