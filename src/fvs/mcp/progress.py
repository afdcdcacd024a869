"""A render's progress as MCP notifications, from a stream of status snapshots.

`watch` consumes any async iterator of status bodies. `follow` makes them from the
render's live event stream (the API's /events, or this process's event feed): one
status read at each stage change, each shot and progress event applied to the last
snapshot, and one read at the end. Where there is no stream, or it drops, `poll` reads
the status every half second instead.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from typing import Any, Protocol

import anyio

from fvs.client.sse import STOP_EVENTS

POLL_SECONDS = 0.5
SETTLED = ("completed", "failed", "cancelled")

Report = Callable[[float, float | None, str | None], Awaitable[None]]


class StatusSource(Protocol):
    async def status(self, project_id: str) -> dict[str, Any]: ...


class EventSource(StatusSource, Protocol):
    def events(self, project_id: str) -> AsyncGenerator[dict[str, Any], None]:
        """The render's events from its first (each the stream's JSON data, with `type`).

        Raises NoStream when the studio has none; ends early if the stream drops.
        """
        ...


class NoStream(Exception):
    """The studio has no event stream for this render: poll instead."""


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


async def follow(
    source: EventSource, project_id: str, first: dict[str, Any]
) -> AsyncGenerator[dict[str, Any], None]:
    """Snapshots moved by the render's events from `first` (its status at submit) on."""
    status = first
    try:
        async with aclosing(source.events(project_id)) as events:
            async for event in events:
                kind = event.get("type")
                if kind in STOP_EVENTS:
                    yield await source.status(project_id)  # the whole answer: links, costs
                    return
                if kind == "render.stage_changed":
                    status = await source.status(project_id)  # each stage's shots, in full
                else:
                    status = applied(status, event)
                yield status
    except NoStream:
        pass
    async for polled in poll(source, project_id):  # no stream, or it dropped
        yield polled


def applied(status: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
    """The snapshot after one event: its status, stage and progress, and its shot's state."""
    moved = dict(status)
    for key, field in (("status", "status"), ("stage", "current_stage"), ("progress", "progress")):
        if key in event:
            moved[field] = event[key]
    shot = event.get("shot")
    if isinstance(shot, dict):
        shots = [dict(s) for s in status.get("shots", [])]
        match = [s for s in shots if s.get("number") == shot.get("number")]
        if match:
            match[0]["state"] = shot.get("state")
        else:
            shots.append({"number": shot.get("number"), "state": shot.get("state")})
        moved["shots"] = shots
    return moved


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
            if settled(status):
                break  # a stage-change read can see the end before the stream's end event
    return last
