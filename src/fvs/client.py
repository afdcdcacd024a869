"""A small agent-API client: submit a request, show progress per stage, download the MP4.

Used by `fvs render` and `fvs demo`; it speaks only the public HTTP API.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

from fvs.stages import WORK_STAGES

STAGES = tuple(w.stage.value for w in WORK_STAGES)
KEY_HEADER = "X-FVS-Agent-Key"


class RenderFailed(RuntimeError):
    pass


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "render"


def _stage_fractions(status: dict[str, Any]) -> dict[str, float]:
    stage = status["current_stage"]
    shots = status.get("shots") or []
    done = {s: 1.0 for s in STAGES} if status["status"] == "completed" else {}
    if not done:
        reached = STAGES.index(stage) if stage in STAGES else 0
        for s in STAGES[:reached]:
            done[s] = 1.0
        if stage == "storyboarding" and shots:
            done[stage] = sum(x["state"] != "planned" for x in shots) / len(shots)
        elif stage == "filming" and shots:
            done[stage] = sum(x["state"] == "filmed" for x in shots) / len(shots)
    return done


def follow(
    client: httpx.Client,
    status_url: str,
    *,
    console: Console,
    poll_seconds: float = 0.5,
    timeout_seconds: float = 3600,
) -> dict[str, Any]:
    """Poll a render with a progress bar per stage until it ends."""
    deadline = time.monotonic() + timeout_seconds
    columns = (TextColumn("{task.description:<14}"), BarColumn(), TaskProgressColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        tasks = {s: progress.add_task(s, total=1.0) for s in STAGES}
        while True:
            status = client.get(status_url).raise_for_status().json()
            for stage, fraction in _stage_fractions(status).items():
                progress.update(tasks[stage], completed=fraction)
            if status["status"] in ("completed", "failed", "cancelled"):
                return status
            if time.monotonic() > deadline:
                raise RenderFailed(f"gave up waiting after {timeout_seconds:.0f} s")
            time.sleep(poll_seconds)


def render(
    *, base_url: str, key: str, request: dict[str, Any], out: Path | None, console: Console
) -> Path:
    """Submit, follow, download; returns the written MP4's path."""
    with httpx.Client(base_url=base_url, headers={KEY_HEADER: key}, timeout=300) as client:
        response = client.post(
            "/api/agent/renders", files={"request_json": (None, json.dumps(request))}
        )
        if response.status_code >= 400:
            raise RenderFailed(f"submit refused ({response.status_code}): {response.text}")
        job = response.json()
        console.print(
            f"render {job['project_id']} accepted; "
            f"{job.get('credits_reserved', '?')} credits reserved"
        )
        status = follow(client, job["status_url"], console=console)
        if status["status"] != "completed":
            raise RenderFailed(status.get("last_error") or f"render {status['status']}")
        target = out or Path.cwd() / f"{slug(status['name'])}.mp4"
        with client.stream("GET", status["final_video_url"]) as stream:
            stream.raise_for_status()
            tmp = target.with_suffix(".part")
            with tmp.open("wb") as handle:
                for chunk in stream.iter_bytes(1 << 20):
                    handle.write(chunk)
            tmp.replace(target)
        for stage, info in (status.get("stage_providers") or {}).items():
            if isinstance(info, dict) and info.get("standin"):
                console.print(
                    f"[yellow]{stage}: {info['model']} was rendered by the local "
                    f"stand-in {info['runs_on']} (an animatic, not {info['model']})"
                )
        return target
