"""The user's own examples (seed/agent-api.txt) run unchanged against a real `fvs serve`.

The seed document lost the Python example's indentation; tests/seed/example.py is
that example with indentation restored, and the first test proves it is the
seed's code, line for line, but for whitespace.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest
import requests

from fvs.media.probe import probe
from tests.live_server import LiveServer, fvs

HERE = Path(__file__).parent
SEED = HERE.parents[2] / "shared" / "seed" / "agent-api.txt"
SEED_BASE_URL = "https://fmv-studio-frontend-t7cat7yhuq-uc.a.run.app"
SEED_KEY = "replace-with-your-managed-key"


def _seed_section(start: str, end: str | None) -> list[str]:
    text = SEED.read_text()
    body = text.split(f"\n{start}\n", 1)[1]
    if end:
        body = body.split(f"\n{end}\n", 1)[0]
    return [line.strip() for line in body.strip().splitlines() if line.strip()]


def _ours(name: str) -> list[str]:
    return [line.strip() for line in (HERE / name).read_text().splitlines() if line.strip()]


@pytest.mark.skipif(not SEED.exists(), reason="shared/seed is not beside this checkout")
def test_our_copies_are_the_seed_examples_verbatim():
    assert _ours("example.py") == _seed_section("Python", "JavaScript")
    assert _ours("example.mjs") == _seed_section("JavaScript", None)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory):
    data = tmp_path_factory.mktemp("seed") / "data"
    server = LiveServer(data).start()
    fvs(server.env, "accounts", "create", "seed@example.com", "--credits", "2000")
    key = fvs(server.env, "keys", "create", "seed@example.com", "--name", "seed").splitlines()[-1]
    yield server, key
    server.stop()


def _with_origin(source: str, base_url: str, key: str) -> str:
    return source.replace(SEED_BASE_URL, base_url).replace(SEED_KEY, key)


@pytest.mark.slow
def test_python_example_prints_video_ready_with_a_working_url(live, tmp_path):
    server, key = live
    script = tmp_path / "example.py"
    script.write_text(_with_origin((HERE / "example.py").read_text(), server.base_url, key))
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    match = re.fullmatch(r"Video ready: (\S+)\n", done.stdout)
    assert match, done.stdout
    video = requests.get(match.group(1), timeout=60)
    assert video.status_code == 200
    (tmp_path / "final.mp4").write_bytes(video.content)
    media = probe(tmp_path / "final.mp4")
    assert (media.video.codec, media.video.width, media.video.height) == ("h264", 1280, 720)
    assert abs(media.duration_seconds - 24) <= 0.5 and media.audio.codec == "aac"


@pytest.mark.slow
def test_javascript_example_gets_a_job_whose_status_url_answers(live, tmp_path):
    if shutil.which("node") is None:
        if os.environ.get("CI"):
            pytest.fail("Node.js is missing, and CI must run the seed's JavaScript example")
        pytest.skip("Node.js is not installed")
    server, key = live
    source = _with_origin((HERE / "example.mjs").read_text(), server.base_url, key)
    script = tmp_path / "example.mjs"
    script.write_text(source + "\nconsole.log(JSON.stringify({job, status}));\n")
    done = subprocess.run(["node", str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["job"]["status_url"].startswith(server.base_url + "/api/agent/renders/proj_")
    assert result["status"]["project_id"] == result["job"]["project_id"]
    assert result["status"]["status"] in ("queued", "running", "completed")


@pytest.mark.skipif(not SEED.exists(), reason="shared/seed is not beside this checkout")
def test_the_demo_submits_the_seeds_reference_payload():
    text = SEED.read_text()
    seed_payload = json.loads(text.split("\nrequest_json\n", 1)[1].split("\nresponse\n", 1)[0])
    ours = json.loads(resources.files("fvs").joinpath("reference_request.json").read_text())
    assert ours == seed_payload
