"""A server killed mid-render resumes from its last finished step and charges each stage once."""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from fvs.db import Database
from fvs.media.probe import probe
from fvs.models import Job, Shot, Transfer
from tests.live_server import LiveServer, fvs

REQUEST = {
    "name": "Restart test",
    "screenplay": "Shot 1: A lantern drifts over a dark lake. Shot 2: The lantern rises into the "
    "night sky. Shot 3: The lantern joins a river of stars.",
    "shot_count": 3,
    "scene_target_duration_seconds": 24,
    "video_model": "veo-3.1-fast-generate-001",
    "video_resolution": "720p",
}


def _finished_clips(data: Path, project_id: str) -> dict[int, tuple[int, int, str]]:
    """Each recorded clip's inode, mtime and digest: a clip filmed again would change them."""
    db = Database(f"sqlite:///{data / 'fvs.db'}")
    with db.read() as session:
        shots = list(session.scalars(select(Shot).where(Shot.project_id == project_id)))
    db.dispose()
    clips = {}
    for shot in shots:
        if shot.clip_path:
            path = data / "media" / shot.clip_path
            stat = path.stat()
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            clips[shot.index] = (stat.st_ino, stat.st_mtime_ns, digest)
    return clips


def _status(server: LiveServer, key: str, project_id: str) -> dict:
    return requests.get(
        f"{server.base_url}/api/agent/renders/{project_id}",
        headers={"X-FVS-Agent-Key": key},
        timeout=30,
    ).json()


@pytest.mark.slow
def test_killed_server_resumes_and_charges_once(tmp_path):
    data = tmp_path / "data"
    server = LiveServer(data, FVS_JOB_LEASE_SECONDS="1.5").start()
    fvs(server.env, "accounts", "create", "restart@example.com", "--credits", "1000")
    key = fvs(server.env, "keys", "create", "restart@example.com").splitlines()[-1]
    job = requests.post(
        f"{server.base_url}/api/agent/renders",
        headers={"X-FVS-Agent-Key": key},
        files={"request_json": (None, json.dumps(REQUEST))},
        timeout=60,
    ).json()
    project_id = job["project_id"]
    deadline = time.monotonic() + 120
    while True:  # kill while clips are being filmed: some done, not all
        status = _status(server, key, project_id)
        if status["current_stage"] == "filming" and status["clip_count"] > 0:
            break
        assert status["status"] not in ("completed", "failed"), status
        assert time.monotonic() < deadline
        time.sleep(0.02)
    server.kill()
    filmed_before = _finished_clips(data, project_id)
    assert filmed_before  # at least one clip was finished and recorded before the kill

    server = LiveServer(data, FVS_JOB_LEASE_SECONDS="1.5").start()
    try:
        deadline = time.monotonic() + 180
        while (status := _status(server, key, project_id))["status"] not in ("completed", "failed"):
            assert time.monotonic() < deadline, status
            time.sleep(0.2)
    finally:
        server.stop()
    assert status["status"] == "completed", status["last_error"]
    assert status["clip_count"] == 3

    db = Database(f"sqlite:///{data / 'fvs.db'}")
    with db.read() as session:
        transfers = list(session.scalars(select(Transfer).where(Transfer.project_id == project_id)))
        shots = list(session.scalars(select(Shot).where(Shot.project_id == project_id)))
        films = list(
            session.scalars(select(Job).where(Job.project_id == project_id, Job.step == "film"))
        )
    db.dispose()
    # Clips finished before the kill were not filmed again: same files, one attempt each.
    filmed_after = _finished_clips(data, project_id)
    assert {i: filmed_after[i] for i in filmed_before} == filmed_before
    attempts = {job.shot_index: job.attempts for job in films}
    assert sorted(attempts) == [0, 1, 2]
    assert all(attempts[i] == 1 for i in filmed_before), attempts
    assert {job.status for job in films} == {"done"}
    kinds = Counter(t.kind for t in transfers)
    holds = [t for t in transfers if t.kind == "pending"]
    assert kinds["single"] == 1  # project creation, once
    assert kinds["post"] + kinds["void"] == len(holds) and kinds["expire"] == 0
    assert len({t.pending_id for t in transfers if t.pending_id}) == len(holds)
    charged = sum(t.amount for t in transfers if t.kind in ("single", "post"))
    assert charged == status["credits_settled"]
    assert sorted(s.index for s in shots) == [0, 1, 2]
    media = probe(data / "media" / "projects" / project_id / "final.mp4")
    assert abs(media.duration_seconds - 24) <= 0.5
