"""Progress notes from status snapshots: what a client sees, whatever the snapshot source."""

from __future__ import annotations

import pytest

from fvs.mcp import progress

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


def snapshot(status: str, stage: str, pct: float, shots: list[str], **extra) -> dict:
    numbered = [{"number": n, "state": s} for n, s in enumerate(shots, 1)]
    return {"status": status, "current_stage": stage, "progress": pct, "shots": numbered, **extra}


async def stream(snapshots):
    for item in snapshots:
        yield item


async def test_stages_and_shots_each_notify_once_and_values_always_rise():
    notes = []

    async def report(value, total, message):
        notes.append((value, total, message))

    last = await progress.watch(
        stream(
            [
                snapshot("queued", "planning", 0.0, []),
                snapshot("running", "planning", 0.1, ["planned", "planned"]),
                snapshot("running", "storyboarding", 0.4, ["keyframed", "keyframed"]),
                snapshot("running", "storyboarding", 0.4, ["keyframed", "keyframed"]),
                snapshot("running", "filming", 0.7, ["filmed", "keyframed"]),
                snapshot("completed", "done", 1.0, ["filmed", "filmed"]),
            ]
        ),
        seconds=5,
        report=report,
    )
    assert last is not None and last["status"] == "completed"
    assert [m for _, _, m in notes] == [
        "queued: stage planning",
        "running: stage storyboarding",
        "shot 1/2 keyframed",
        "shot 2/2 keyframed",
        "running: stage filming",
        "shot 1/2 filmed",
        "completed: stage done",
        "shot 2/2 filmed",
        "render completed",
    ]
    values = [v for v, _, _ in notes]
    assert all(b > a for a, b in zip(values, values[1:], strict=False)) and values[-1] == 100


async def test_a_halt_for_review_ends_the_wait():
    notes = []

    async def report(value, total, message):
        notes.append(message)

    halted = snapshot("running", "storyboarding", 0.5, ["keyframed"], needs_approval=True)
    assert progress.settled(halted)
    await progress.watch(stream([halted]), seconds=5, report=report)
    assert notes[-1] == "render halted for review"


async def test_the_wait_stops_at_its_limit():
    async def endless():
        while True:
            yield snapshot("running", "filming", 0.5, ["keyframed"])
            await progress.anyio.sleep(0.05)

    async def report(value, total, message):
        pass

    last = await progress.watch(endless(), seconds=0.3, report=report)
    assert last is not None and last["status"] == "running"
