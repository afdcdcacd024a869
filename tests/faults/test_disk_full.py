"""The data folder's disk fills up mid-render (a real, small tmpfs): a plain failure, no harm."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from fvs.app import create_app
from fvs.config import Settings
from fvs.storage.local import LocalStorage
from tests.conftest import SMALL_RENDER, Agent, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.settings(job_retry_base_seconds=0.05)]
STAGES = ("planning", "storyboarding", "filming", "production")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """tmp_path/data on its own 24 MiB tmpfs (the database stays outside, in tmp_path)."""
    data = tmp_path / "data"
    data.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(data)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    yield data
    subprocess.run(["umount", "-l", str(data)], check=True)


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any], small_disk: Path) -> dict[str, Any]:
    return settings_overrides  # the settings fixture puts data_dir on small_disk


def fill(folder: Path) -> Path:
    """Write until the disk refuses: ENOSPC from the kernel, nothing simulated."""
    filler = folder / "filler.bin"
    with filler.open("wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError as exc:
            assert exc.errno == 28, exc  # ENOSPC
    return filler


def test_a_full_disk_fails_the_render_plainly_and_releases_its_credits(
    settings: Settings, small_disk: Path, make_agent: Callable[..., Agent]
) -> None:
    agent = make_agent(credits=1000)
    body = {"request_json": (None, json.dumps(SMALL_RENDER))}
    with TestClient(create_app(settings)) as client:
        pid = client.post("/api/agent/renders", headers=agent.headers, files=body).json()[
            "project_id"
        ]
        wait_for(
            client, agent, pid, ("completed",), where=lambda b: b["current_stage"] == "filming"
        )
        filler = fill(small_disk)
        failed = wait_for(client, agent, pid, ("completed", "failed"), timeout=60)
        assert failed["status"] == "failed", failed
        stage = failed["last_error"].split(" failed", 1)[0]
        assert stage in STAGES and "No space left on device" in failed["last_error"], failed
        wallet = client.get("/api/agent/wallet", headers=agent.headers).json()
        assert wallet["held_credits"] == 0
        assert wallet["available_credits"] == 1000 - failed["credits_settled"]
        # The final file was never finished, so its link answers 404, never half a video.
        storage = client.app.state.studio.storage
        link = storage.link(f"projects/{pid}/final.mp4", base_url="", ttl_seconds=600)
        assert client.get(link).status_code == 404
        leftovers = [p.name for p in small_disk.rglob("*") if p.name.startswith(".")]
        assert leftovers == [], "partial files left on the full disk"
        # The studio keeps serving: probes, status, and (with room again) a new render.
        assert client.get("/healthz").status_code == 200
        assert client.get(f"/api/agent/renders/{pid}", headers=agent.headers).status_code == 200
        filler.unlink()
        again = client.post("/api/agent/renders", headers=agent.headers, files=body).json()
        done = wait_for(client, agent, again["project_id"], ("completed", "failed"), timeout=60)
        assert done["status"] == "completed", done


def test_a_write_refused_by_a_full_disk_leaves_no_temp_file(small_disk: Path) -> None:
    storage = LocalStorage(small_disk / "media", secret=b"s")
    fill(small_disk)
    with pytest.raises(OSError) as refused:
        storage.put_bytes(
            "projects/proj_1/keyframes/shot-01.png", b"\x89PNG" * 100_000, "image/png"
        )
    assert refused.value.errno == 28
    assert list((small_disk / "media").rglob("*.*")) == []  # no .tmp- file eats the disk
