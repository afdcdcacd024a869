"""Run `fvs serve` as a real subprocess on a free port, for tests that need a real server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fvs(env: dict[str, str], *args: str) -> str:
    """Run an fvs CLI command to completion; returns stdout."""
    done = subprocess.run(
        [sys.executable, "-m", "fvs", *args], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


class LiveServer:
    def __init__(self, data_dir: Path, **extra_env: str) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "FVS_DATA_DIR": str(data_dir),
            "FVS_SECRET_KEY": "live-secret",
            # One process, so a test's pid, /metrics and kill reach the whole server;
            # tests/cli/test_serve_workers.py runs several.
            "FVS_SERVE_WORKERS": "1",
            **extra_env,
        }
        self.log = data_dir.parent / f"server-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> LiveServer:
        handle = self.log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "fvs", "serve", "--port", str(self.port)],
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(self.base_url + "/", timeout=1).status_code == 200:
                    return self
            except (requests.ConnectionError, requests.Timeout):
                # A loaded machine may accept the probe but answer it after its 1 s timeout.
                time.sleep(0.1)
        raise RuntimeError(f"server did not start: {self.log.read_text()[-2000:]}")

    def kill(self) -> None:
        """SIGKILL: no cleanup, exactly like a crashed machine."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.process = None
