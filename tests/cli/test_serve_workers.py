"""`fvs serve --workers 2`: two server processes, one executor, and a render that completes."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import psutil
import pytest
import requests

from tests.conftest import SMALL_RENDER
from tests.live_server import LiveServer, fvs

pytestmark = pytest.mark.slow


def _start(server: LiveServer, workers: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fvs",
            "serve",
            "--port",
            str(server.port),
            "--workers",
            str(workers),
        ],
        env=server.env,
        stdout=server.log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if requests.get(server.base_url + "/", timeout=1).status_code == 200:
                return process
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(server.log.read_text()[-2000:])


def _workers(process: subprocess.Popen[bytes]) -> list[psutil.Process]:
    # uvicorn's spawned workers run our factory; its resource tracker does not.
    children = psutil.Process(process.pid).children()
    return [c for c in children if "resource_tracker" not in " ".join(c.cmdline())]


def test_a_render_completes_under_two_server_processes(tmp_path):
    server = LiveServer(tmp_path / "data")
    fvs(server.env, "accounts", "create", "w@example.com", "--credits", "2000")
    key = fvs(server.env, "keys", "create", "w@example.com", "--name", "w").splitlines()[-1]
    process = _start(server, workers=2)
    try:
        workers = _workers(process)
        assert len(workers) == 2
        headers = {"X-FVS-Agent-Key": key}
        job = requests.post(
            f"{server.base_url}/api/agent/renders",
            headers=headers,
            files={"request_json": (None, json.dumps(SMALL_RENDER))},
            timeout=60,
        ).json()
        deadline = time.monotonic() + 180
        while True:
            answer = requests.get(job["status_url"], headers=headers, timeout=30)
            status = answer.json()
            if status["status"] in ("completed", "failed"):
                break
            assert time.monotonic() < deadline, status
            time.sleep(min(float(answer.headers["Retry-After"]), 1.0))
        assert status["status"] == "completed", status["last_error"]
        video = requests.get(status["final_video_url"], timeout=60)
        assert video.status_code == 200 and video.content[4:8] == b"ftyp"
        # Exactly one of the two processes holds the executor lock and ran the steps.
        locks = list((tmp_path / "data").glob("serve-*.executor.lock"))
        assert [lock.name for lock in locks] == [f"serve-{process.pid}.executor.lock"]
    finally:
        process.send_signal(signal.SIGKILL)  # a crash: the workers must not outlive it
        process.wait(20)
    gone, alive = psutil.wait_procs(workers, timeout=20)
    assert alive == [] and len(gone) == 2
