"""The `fvs` command, run as a real subprocess against a real data directory."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import timedelta

import pytest
import requests
from sqlalchemy import update
from typer.testing import CliRunner

from fvs import cli
from fvs.app import build_studio
from fvs.config import Settings
from fvs.keys.format import is_well_formed
from fvs.models import AgentKey
from fvs.models.base import utcnow
from tests.live_server import LiveServer, fvs


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fvs", *args], env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def env(tmp_path):
    return {**os.environ, "FVS_DATA_DIR": str(tmp_path / "data")}


@pytest.mark.slow  # a dozen `fvs` processes, each importing the whole studio
def test_accounts_keys_and_credits(env, tmp_path):
    assert "acct_" in fvs(env, "accounts", "create", "Ada@Example.com", "--credits", "50")
    duplicate = run(env, "accounts", "create", "ada@example.com")
    assert duplicate.returncode == 1 and "already exists" in duplicate.stderr

    key = fvs(env, "keys", "create", "ada@example.com", "--name", "laptop").splitlines()[-1]
    assert is_well_formed(key)
    listing = fvs(env, "keys", "list", "ada@example.com").splitlines()
    assert len(listing) == 1 and listing[0].startswith("key_")
    assert "laptop" in listing[0] and key not in listing[0] and key[:12] in listing[0]
    # The key is stored only as a hash: its text is nowhere in the data directory.
    for path in (tmp_path / "data").rglob("*"):
        if path.is_file():
            assert key.encode() not in path.read_bytes(), path

    key_id = listing[0].split("\t")[0]
    fvs(env, "keys", "revoke", key_id)
    assert fvs(env, "keys", "list", "ada@example.com").rstrip().endswith("revoked")
    assert "150 credits available" in fvs(env, "credits", "grant", "ada@example.com", "100")
    missing = run(env, "credits", "grant", "nobody@example.com", "5")
    assert missing.returncode == 1 and "no account" in missing.stderr
    assert run(env, "credits", "grant", "ada@example.com", "0").returncode == 1


@pytest.mark.slow
def test_render_command_downloads_the_film(env, tmp_path):
    server = LiveServer(tmp_path / "data").start()
    try:
        fvs(server.env, "accounts", "create", "r@example.com", "--credits", "100")
        key = fvs(server.env, "keys", "create", "r@example.com").splitlines()[-1]
        request = tmp_path / "request.json"
        request.write_text(
            json.dumps(
                {
                    "screenplay": "A paper boat sails down a rainy street.",
                    "shot_count": 1,
                    "scene_target_duration_seconds": 4,
                    "video_model": "local-animatic",
                }
            )
        )
        out = tmp_path / "boat.mp4"
        done = run(
            server.env,
            "render",
            str(request),
            "--base-url",
            server.base_url,
            "--key",
            key,
            "--out",
            str(out),
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.rstrip().endswith(str(out)) and out.read_bytes()[4:8] == b"ftyp"
        refused = run(
            server.env,
            "render",
            str(request),
            "--base-url",
            server.base_url,
            "--key",
            key[:-1] + ("y" if key.endswith("x") else "x"),  # always a different key
        )
        assert refused.returncode == 1 and "401" in refused.stderr
    finally:
        server.stop()


@pytest.mark.slow
def test_a_separate_worker_process_renders_what_an_api_only_server_accepts(tmp_path):
    server = LiveServer(tmp_path / "data", FVS_EXECUTOR="none").start()
    worker = subprocess.Popen(
        [sys.executable, "-m", "fvs", "worker"],
        env=server.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        fvs(server.env, "accounts", "create", "w@example.com", "--credits", "100")
        key = fvs(server.env, "keys", "create", "w@example.com").splitlines()[-1]
        body = {
            "screenplay": "A kite rises over a beach.",
            "shot_count": 1,
            "scene_target_duration_seconds": 4,
            "video_model": "local-animatic",
            "wait_for_completion_seconds": 120,
        }
        response = requests.post(
            f"{server.base_url}/api/agent/renders",
            json=body,
            headers={"X-FVS-Agent-Key": key},
            timeout=180,
        )
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "completed"
    finally:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(30) == 0
        server.stop()


def test_keys_list_shows_an_expired_key_as_expired(tmp_path, monkeypatch):
    """The CLI uses the keys service's one definition of state, expiry included."""
    monkeypatch.setenv("FVS_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()
    assert runner.invoke(cli.app, ["accounts", "create", "exp@example.com"]).exit_code == 0
    assert runner.invoke(cli.app, ["keys", "create", "exp@example.com"]).exit_code == 0
    assert (
        runner.invoke(cli.app, ["keys", "list", "exp@example.com"])
        .output.rstrip()
        .endswith("\tactive")
    )
    studio = build_studio(Settings())
    try:
        # Time passes: the key's expiry is now behind us.
        past = utcnow() - timedelta(minutes=1)
        studio.db.transact(lambda s: s.execute(update(AgentKey).values(expires_at=past)))
    finally:
        studio.db.dispose()
    listing = runner.invoke(cli.app, ["keys", "list", "exp@example.com"]).output
    assert listing.rstrip().endswith("\texpired"), listing
