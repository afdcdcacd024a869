"""One source of truth: the examples on the served agent page run, as served, against a live
server. Only the key placeholder is replaced; the origin is the one the page was served with."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
import requests

from fvs.agents.reference import KEY_PLACEHOLDER
from tests.example_runs import run_javascript_example, run_python_example
from tests.live_server import LiveServer, fvs

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory):
    data = tmp_path_factory.mktemp("agentdocs") / "data"
    server = LiveServer(data).start()
    fvs(server.env, "accounts", "create", "docs@example.com", "--credits", "2000")
    key = fvs(server.env, "keys", "create", "docs@example.com", "--name", "docs").splitlines()[-1]
    page = requests.get(f"{server.base_url}/docs/agent.md", timeout=30)
    assert page.status_code == 200
    yield server, key, page.text
    server.stop()


def _example(page: str, language: str, key: str) -> str:
    found = re.findall(rf"```{language}\n(.*?)```", page, re.S)
    assert len(found) == 1, f"the page should have one {language} example"
    assert KEY_PLACEHOLDER in found[0]
    return found[0].replace(KEY_PLACEHOLDER, key)


def test_the_pages_python_example_renders_a_video(live, tmp_path: Path):
    server, key, page = live
    source = _example(page, "python", key)
    assert f'BASE_URL = "{server.base_url}"' in source
    run_python_example(source, tmp_path)


def test_the_pages_javascript_example_submits_and_reads_the_status(live, tmp_path: Path):
    server, key, page = live
    result = run_javascript_example(
        _example(page, "javascript", key), tmp_path, "the page's JavaScript example"
    )
    assert submitted_ok(result["job"], server.base_url)
    assert result["status"]["project_id"] == result["job"]["project_id"]
    # Then the render it started finishes: the example's request is one the studio films.
    status_url = result["job"]["status_url"]
    final = _poll(status_url, key)
    assert final["status"] == "completed", final["last_error"]
    assert requests.get(final["final_video_url"], timeout=60).status_code == 200


def submitted_ok(job: dict, base_url: str) -> bool:
    return job["status_url"].startswith(f"{base_url}/api/agent/renders/proj_") and job[
        "status"
    ] in ("queued", "running", "completed")


def _poll(url: str, key: str) -> dict:
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        status = requests.get(url, headers={"X-FVS-Agent-Key": key}, timeout=60).json()
        if status["status"] in ("completed", "failed", "cancelled"):
            return status
        time.sleep(1)
    raise AssertionError(f"the render did not finish: {status}")
