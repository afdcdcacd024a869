"""A render's progress as MCP notifications, from a stream of status snapshots.

`watch` consumes any async iterator of status bodies. Today that is `poll`, which
reads the status every half second; a live event stream can replace it unchanged.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import Any, Protocol

import anyio

POLL_SECONDS = 0.5
SETTLED = ("completed", "failed", "cancelled")

Report = Callable[[float, float | None, str | None], Awaitable[None]]


class StatusSource(Protocol):
    async def status(self, project_id: str) -> dict[str, Any]: ...


def settled(status: dict[str, Any]) -> bool:
    """Ended, or halted for review: the status will not move on its own."""
    return status["status"] in SETTLED or bool(status.get("needs_approval"))


async def poll(
    source: StatusSource, project_id: str, *, interval: float = POLL_SECONDS
) -> AsyncGenerator[dict[str, Any], None]:
    """Status snapshots every `interval` seconds, ending with the settled one."""
    while True:
        status = await source.status(project_id)
        yield status
        if settled(status):
            return
        await anyio.sleep(interval)


def _shot_states(status: dict[str, Any]) -> dict[int, str]:
    return {shot["number"]: shot["state"] for shot in status.get("shots", [])}


class ProgressNotes:
    """What changed between snapshots, as progress messages: a stage, a shot, the end."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.sent = 0.0
        self.stage: str | None = None
        self.shots: dict[int, str] = {}

    async def observe(self, status: dict[str, Any]) -> None:
        # Until the end, below 100, so the end's note can rise and still be at most the total.
        percent = min(float(status.get("progress", 0.0)) * 100, 99.0)
        for message in self._changes(status):
            await self._send(percent, message)
        if settled(status):
            ended = "halted for review" if status.get("needs_approval") else status["status"]
            await self._send(100.0, f"render {ended}")

    def _changes(self, status: dict[str, Any]) -> list[str]:
        messages = []
        if status["current_stage"] != self.stage:
            self.stage = status["current_stage"]
            messages.append(f"{status['status']}: stage {self.stage}")
        shots = _shot_states(status)
        for number, state in sorted(shots.items()):
            if self.shots.get(number) != state and state != "planned":
                messages.append(f"shot {number}/{len(shots)} {state}")
        self.shots = shots
        return messages

    async def _send(self, percent: float, message: str) -> None:
        # MCP asks that progress rise with every notification, even within one snapshot.
        value = max(percent, self.sent + 0.001)
        self.sent = value
        await self.report(round(value, 3), 100.0, message)


async def watch(
    snapshots: AsyncIterator[dict[str, Any]], *, seconds: float, report: Report
) -> dict[str, Any] | None:
    """Report each snapshot's changes until the stream ends or `seconds` pass; the last one."""
    notes = ProgressNotes(report)
    last = None
    with anyio.move_on_after(seconds):
        async for status in snapshots:
            last = status
            await notes.observe(status)
    return last
