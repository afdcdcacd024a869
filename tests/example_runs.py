"""Run a documented example as a user would: the Python one to a finished video, the
JavaScript one under Node.js. Shared by the seed's examples and the served agent page's."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests

from fvs.media.probe import MediaProbe, probe


def run_python_example(source: str, tmp_path: Path) -> MediaProbe:
    """Run it; it must print only "Video ready: URL", and the URL must serve the MP4."""
    script = tmp_path / "example.py"
    script.write_text(source)
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
    assert abs(media.duration_seconds - 24) <= 0.5
    return media


def run_javascript_example(source: str, tmp_path: Path, what: str) -> dict[str, Any]:
    """Run it with Node.js; the example's `job` and `status`, as it last saw them."""
    if shutil.which("node") is None:
        if os.environ.get("CI"):
            pytest.fail(f"Node.js is missing, and CI must run {what}")
        pytest.skip("Node.js is not installed")
    script = tmp_path / "example.mjs"
    script.write_text(source + "\nconsole.log(JSON.stringify({job, status}));\n")
    done = subprocess.run(["node", str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result
