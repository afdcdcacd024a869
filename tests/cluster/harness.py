"""A studio on several machines, in one test: OS processes with data dirs of their own.

Shared, as in production: PostgreSQL, an S3 server (moto), a Redis broker of the test's
own (so it can be restarted), the secret key, and a fake Vertex for Veo. Not shared:
each process's data dir and scratch folder.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

import fvs
from tests.live_server import free_port

SOURCE_ROOT = Path(fvs.__file__).resolve().parents[1]


class Process:
    """A subprocess in a session of its own (so a kill takes its children), logging to a file."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.command, self.env, self.log = name, command, env, log
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        with self.log.open("ab") as handle:
            self.popen = subprocess.Popen(
                self.command,
                env=self.env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def wait_for(self, pattern: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not re.search(pattern, self.output()):
            assert self.popen is not None
            if self.popen.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not start:\n{self.output()[-3000:]}")
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL the process and every child: a machine that died."""
        if self.popen is not None and self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(10)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it lingers."""
        if self.popen is None or self.popen.poll() is not None:
            return
        os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(30)
        except subprocess.TimeoutExpired:
            self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


class PrivateRedis:
    """A redis-server of the test's own on a free port, keeping nothing on disk."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(folder)]
        self.process = Process("redis", command, dict(os.environ), folder / "redis.log")

    def start(self) -> PrivateRedis:
        self.process.start()
        deadline = time.monotonic() + 30
        while True:  # the log still holds the last start's lines: ask the server itself
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis did not start:\n{self.process.output()[-2000:]}")
            time.sleep(0.05)

    def stop(self) -> None:
        self.process.stop()

    def restart(self, down_seconds: float = 0.0) -> None:
        self.stop()
        time.sleep(down_seconds)
        self.start()


class Cluster:
    """API replicas and Celery workers on one shared environment."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root = root
        pythonpath = os.pathsep.join(filter(None, [str(SOURCE_ROOT), os.environ.get("PYTHONPATH")]))
        self.env = {**os.environ, **env, "PYTHONPATH": pythonpath}
        self.processes: list[Process] = []
        self.apis: list[str] = []

    def data_dir(self, name: str) -> Path:
        folder = self.root / name
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def fvs(self, *args: str) -> str:
        """An fvs command on the cluster's settings, to completion; its stdout."""
        env = {**self.env, "FVS_DATA_DIR": str(self.data_dir("operator"))}
        done = subprocess.run(
            [sys.executable, "-m", "fvs", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def api(self, name: str) -> str:
        """Start an API replica; its base URL once it answers."""
        port = free_port()
        env = {**self.env, "FVS_DATA_DIR": str(self.data_dir(name))}
        command = [sys.executable, "-m", "fvs", "serve", "--port", str(port)]
        process = Process(name, command, env, self.root / f"{name}.log").start()
        self.processes.append(process)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if process.popen.poll() is not None or time.monotonic() > deadline:  # type: ignore[union-attr]
                raise RuntimeError(f"{name} did not start:\n{process.output()[-3000:]}")
            time.sleep(0.1)
        self.apis.append(base)
        return base

    def worker(self, name: str, *args: str, **env_extra: str) -> Process:
        """Start `fvs worker ARGS` and wait until it consumes."""
        env = {**self.env, "FVS_DATA_DIR": str(self.data_dir(name)), **env_extra}
        command = [sys.executable, "-m", "fvs", "worker", *args]
        process = Process(name, command, env, self.root / f"{name}.log").start()
        process.wait_for(r"\S+@\S+ ready\.")
        self.processes.append(process)
        return process

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()

    def media_files(self) -> list[Path]:
        """Media files in any process's data dir (there should be none)."""
        suffixes = {".mp4", ".png", ".jpg", ".wav", ".webp"}
        return [p for p in self.root.rglob("*") if p.is_file() and p.suffix in suffixes]
