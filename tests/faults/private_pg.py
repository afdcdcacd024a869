"""A private PostgreSQL server for fault tests: ours to stop and restart, never the shared one."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.live_server import free_port


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


class PrivatePostgres:
    """initdb + pg_ctl on a free port in a temporary folder, run as the `postgres` user."""

    def __init__(self) -> None:
        self.port = free_port()
        # Not under pytest's tmp (root-only): the server's own user must reach its folder.
        self.root = Path(tempfile.mkdtemp(prefix="fvs-pg-"))
        self.data = self.root / "data"
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    @staticmethod
    def unavailable() -> str | None:
        """Why a private server cannot run here, or None."""
        if _bin("initdb") is None or _bin("pg_ctl") is None:
            return "initdb/pg_ctl are not installed"
        if os.geteuid() != 0 or shutil.which("runuser") is None:
            return "starting a private PostgreSQL needs root (to run it as `postgres`)"
        return None

    def _as_postgres(self, *command: str) -> None:
        done = subprocess.run(
            ["runuser", "-u", "postgres", "--", *command], capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr + done.stdout

    def start(self) -> PrivatePostgres:
        shutil.chown(self.root, "postgres")
        self.root.chmod(0o755)
        initdb = str(_bin("initdb"))
        self._as_postgres(initdb, "-D", str(self.data), "-A", "trust", "-U", "postgres", "-N")
        return self.pg_ctl("start")

    def pg_ctl(self, action: str, *extra: str) -> PrivatePostgres:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.root / "server.log")
        self._as_postgres(
            str(_bin("pg_ctl")),
            action,
            "-D",
            str(self.data),
            "-l",
            log,
            "-w",
            "-o",
            options,
            *extra,
        )
        return self

    def stop(self) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(_bin("pg_ctl")), "stop", "-D", str(self.data),
             "-m", "immediate"],
            capture_output=True,
        )  # fmt: skip
        shutil.rmtree(self.root, ignore_errors=True)
