"""ffmpeg killed mid-encode (SIGKILL from outside, as the OOM killer would): the step retries."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fvs.media.probe import probe
from fvs.models import Job
from tests.conftest import SMALL_RENDER, Agent, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.settings(job_retry_base_seconds=0.05)]


def kill_first_ffmpeg(timeout: float = 60) -> list[str]:
    """SIGKILL the first ffmpeg encode (it writes a file) this process starts; its command line."""
    me = psutil.Process()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for child in me.children(recursive=True):
            try:
                # imageio-ffmpeg's binary is ffmpeg-linux-…; its `-version` probe is not an encode.
                cmdline = child.cmdline() if child.name().startswith("ffmpeg") else []
                if "-y" in cmdline:
                    child.kill()
                    return cmdline
            except psutil.NoSuchProcess:
                continue
        time.sleep(0.005)
    raise AssertionError("no ffmpeg process appeared")


def test_render_completes_after_its_ffmpeg_is_killed(
    client: TestClient, make_agent: Callable[..., Agent], tmp_path: Path
) -> None:
    agent = make_agent(credits=1000)
    body = {"request_json": (None, json.dumps(SMALL_RENDER))}
    project = client.post("/api/agent/renders", headers=agent.headers, files=body).json()
    killed = kill_first_ffmpeg()
    done = wait_for(client, agent, project["project_id"], ("completed", "failed"), timeout=120)
    assert done["status"] == "completed", done
    with client.app.state.studio.db.read() as session:
        jobs = list(session.scalars(select(Job).where(Job.project_id == project["project_id"])))
    retried = [job for job in jobs if job.attempts > 1]
    assert retried, f"no step ran twice after ffmpeg ({killed[-1]}) was killed"
    assert all(job.status == "done" for job in jobs), [(j.step, j.status) for j in jobs]
    # The delivered video plays to its planned length: no truncated clip slipped through.
    final = client.get(done["final_video_url"].removeprefix("http://testserver"))
    assert final.status_code == 200
    path = tmp_path / "final.mp4"
    path.write_bytes(final.content)
    assert probe(path).duration_seconds == pytest.approx(4, abs=0.5)
