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


class Scripted:
    """A studio answering from lists: its events, and a status read per call."""

    def __init__(self, events, statuses, *, stream=True):
        self._events = events
        self._statuses = list(statuses)
        self.stream = stream
        self.reads = 0

    async def status(self, project_id):
        self.reads += 1
        return self._statuses.pop(0)

    async def events(self, project_id):
        if not self.stream:
            raise progress.NoStream(project_id)
        for event in self._events:
            yield event


def event(kind, status, stage, pct, **extra):
    return {"type": kind, "status": status, "stage": stage, "progress": pct, **extra}


async def test_follow_applies_shot_and_progress_events_and_reads_status_per_stage():
    first = snapshot("queued", "input", 0.0, [])
    source = Scripted(
        [
            event("render.stage_changed", "running", "storyboarding", 0.3),
            event(
                "render.shot_changed",
                "running",
                "storyboarding",
                0.3,
                shot={"number": 1, "state": "keyframed"},
            ),
            event("render.progress", "running", "storyboarding", 0.4),
            event("render.completed", "completed", "done", 1.0),
            event("render.progress", "never", "sent", 0.0),  # after the end: not read
        ],
        [
            snapshot("running", "storyboarding", 0.3, ["planned", "planned"]),
            snapshot("completed", "done", 1.0, ["filmed", "filmed"], final_video_url="u"),
        ],
    )
    seen = [s async for s in progress.follow(source, "p", first)]
    assert [(s["current_stage"], s["progress"]) for s in seen] == [
        ("storyboarding", 0.3),
        ("storyboarding", 0.3),
        ("storyboarding", 0.4),
        ("done", 1.0),
    ]
    assert [s["state"] for s in seen[1]["shots"]] == ["keyframed", "planned"]
    assert seen[-1]["final_video_url"] == "u"
    assert source.reads == 2  # one at the stage change, one at the end: no polling


async def test_follow_polls_where_there_is_no_stream_or_it_drops():
    done = snapshot("completed", "done", 1.0, ["filmed"])
    running = snapshot("running", "filming", 0.5, ["keyframed"])
    none = Scripted([], [running, done], stream=False)
    polled = [s async for s in progress.follow(none, "p", running)]
    assert [s["status"] for s in polled] == ["running", "completed"] and none.reads == 2

    dropped = Scripted([event("render.progress", "running", "filming", 0.6)], [done])
    seen = [s async for s in progress.follow(dropped, "p", running)]
    assert [s["progress"] for s in seen] == [0.6, 1.0] and dropped.reads == 1


async def test_the_watch_ends_at_the_first_settled_snapshot():
    notes = []

    async def report(value, total, message):
        notes.append(value)

    done = snapshot("completed", "done", 1.0, ["filmed"])
    last = await progress.watch(stream([done, done]), seconds=5, report=report)
    assert last == done and notes[-1] == 100 and notes.count(100) == 1
