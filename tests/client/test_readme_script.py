"""The README's agent script runs as printed, against a live studio, and writes the film."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import fvs
from tests.threaded_server import serve_in_thread

README = Path(__file__).resolve().parents[2] / "README.md"
# The script imports the fvs this test runs on, from whatever folder it runs in.
SOURCE = str(Path(fvs.__file__).resolve().parents[1])


def readme_script() -> str:
    section = README.read_text().split("## The Python client", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_script_is_five_lines_after_its_imports():
    lines = [line for line in readme_script().splitlines() if line.strip()]
    assert len([line for line in lines if not line.startswith(("import", "from"))]) <= 5


@pytest.mark.slow  # a whole video
def test_the_readme_script_renders_and_downloads(settings, make_agent, tmp_path):
    agent = make_agent()
    with serve_in_thread(settings) as base_url:
        script = readme_script().replace("http://127.0.0.1:8000", base_url)
        done = subprocess.run(
            [sys.executable, "-c", script],
            cwd=tmp_path,
            env={**os.environ, "FVS_AGENT_KEY": agent.key, "PYTHONPATH": SOURCE},
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().endswith("fox.mp4") and "render.polled" in done.stdout
    assert (tmp_path / "fox.mp4").read_bytes()[4:8] == b"ftyp"
