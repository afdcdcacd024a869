"""The terminal side of `fvs render` and `fvs demo`: a bar per stage, then the MP4.

Built on Studio: submit, wait (live events or polls feed the bars), download.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, TaskID, TaskProgressColumn, TextColumn
from rich.progress import Progress as Bars

from fvs.client.errors import RenderFailed
from fvs.client.sync import Studio
from fvs.client.types import Progress, RenderStatus
from fvs.stages import WORK_STAGES

STAGES = tuple(w.stage.value for w in WORK_STAGES)


class StageBars:
    """One bar per work stage, moved by each Progress that wait() reports."""

    def __init__(self, console: Console) -> None:
        columns = (TextColumn("{task.description:<14}"), BarColumn(), TaskProgressColumn())
        self._bars = Bars(*columns, console=console, transient=False)
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> StageBars:
        self._bars.__enter__()
        self._tasks = {s: self._bars.add_task(s, total=1.0) for s in STAGES}
        return self

    def __exit__(self, *exc: Any) -> None:
        self._bars.__exit__(*exc)

    def __call__(self, progress: Progress) -> None:
        for stage, fraction in stage_fractions(progress).items():
            self._bars.update(self._tasks[stage], completed=fraction)


def stage_fractions(progress: Progress) -> dict[str, float]:
    """How far each stage is: all done once completed, else earlier stages and shot counts."""
    if progress.status == "completed":
        return {s: 1.0 for s in STAGES}
    stage = progress.stage
    reached = STAGES.index(stage) if stage in STAGES else 0
    done = {s: 1.0 for s in STAGES[:reached]}
    shots = progress.render.shots if progress.render is not None else []
    if stage == "storyboarding" and shots:
        done[stage] = sum(x.state != "planned" for x in shots) / len(shots)
    elif stage == "filming" and shots:
        done[stage] = sum(x.state == "filmed" for x in shots) / len(shots)
    return done


def render_to_file(
    studio: Studio,
    request: dict[str, Any],
    *,
    out: Path | None,
    console: Console,
    files: Sequence[tuple[str, Path]] = (),
    timeout: float = 3600,
) -> Path:
    """Submit, show a bar per stage until it ends, download; the written MP4's path."""
    job = studio.submit(request, list(files))
    console.print(f"render {job.project_id} accepted; {job.credits_reserved} credits reserved")
    with StageBars(console) as bars:
        status = studio.wait(job, timeout=timeout, on_progress=bars)
    _check_finished(status)
    target = studio.download(status, out)
    _say_standins(status, console)
    return target


def _check_finished(status: RenderStatus) -> None:
    if status.halted:
        raise RenderFailed(
            f"render {status.project_id} halted for review after a stage; "
            f"approve it with POST {status.approve_url}, then poll {status.status_url}",
            status,
        )
    if status.status != "completed":
        raise RenderFailed(status.last_error or f"render {status.status}", status)


def _say_standins(status: RenderStatus, console: Console) -> None:
    for stage, info in status.stage_providers.items():
        if isinstance(info, dict) and info.get("standin"):
            console.print(
                f"[yellow]{stage}: {info['model']} was rendered by the local "
                f"stand-in {info['runs_on']} (an animatic, not {info['model']})"
            )
