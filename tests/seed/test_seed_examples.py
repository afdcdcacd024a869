"""The user's own examples (seed/agent-api.txt) run unchanged against a real `fvs serve`.

The seed document lost the Python example's indentation; tests/seed/example.py is
that example with indentation restored, and the first test proves it is the
seed's code, line for line, but for whitespace.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from tests.example_runs import run_javascript_example, run_python_example
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
    source = _with_origin((HERE / "example.py").read_text(), server.base_url, key)
    media = run_python_example(source, tmp_path)
    assert media.audio is not None and media.audio.codec == "aac"


@pytest.mark.slow
def test_javascript_example_gets_a_job_whose_status_url_answers(live, tmp_path):
    server, key = live
    source = _with_origin((HERE / "example.mjs").read_text(), server.base_url, key)
    result = run_javascript_example(source, tmp_path, "the seed's JavaScript example")
    assert result["job"]["status_url"].startswith(server.base_url + "/api/agent/renders/proj_")
    assert result["status"]["project_id"] == result["job"]["project_id"]
    assert result["status"]["status"] in ("queued", "running", "completed")


@pytest.mark.skipif(not SEED.exists(), reason="shared/seed is not beside this checkout")
def test_the_demo_submits_the_seeds_reference_payload():
    text = SEED.read_text()
    seed_payload = json.loads(text.split("\nrequest_json\n", 1)[1].split("\nresponse\n", 1)[0])
    ours = json.loads(resources.files("fvs").joinpath("reference_request.json").read_text())
    assert ours == seed_payload
