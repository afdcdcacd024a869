"""The wheel `python -m build` makes installs into a fresh virtual environment and runs
`fvs demo` there: the distribution `future-video-studio` carries the `fvs` command, its
templates, static files, migrations and the reference payload.

The venv sees the machine's site-packages for the dependencies (a full install from PyPI
takes longer than a test should) and installs the wheel itself with --no-deps; the test
checks that `fvs` is imported from the wheel, not from any source tree.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_DATA = [
    "fvs/reference_request.json",
    "fvs/py.typed",
    "fvs/migrations/env.py",
    "fvs/migrations/script.py.mako",
    "fvs/web/templates/base.html",
    "fvs/web/static/studio.css",
]


def _clean_env(**extra: str) -> dict[str, str]:
    # No PYTHONPATH and no FVS_* of the test run: the wheel alone, with a studio of its own.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("FVS_")}
    return {**env, **extra}


def _build_wheel(tmp_path: Path) -> Path:
    # Build from a copy, so the source tree gains no build/ or egg-info.
    source = tmp_path / "source"
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name if source.exists() else _mkdir(source) / name)
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(source)],
        check=True,
        capture_output=True,
        timeout=600,
        env=_clean_env(),
    )
    (wheel,) = out.glob("future_video_studio-*-py3-none-any.whl")
    return wheel


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True)
    return path


@pytest.mark.slow  # builds a wheel, makes a venv, renders a video
def test_the_wheel_installs_in_a_fresh_venv_and_renders_the_demo(tmp_path):
    wheel = _build_wheel(tmp_path)
    names = zipfile.ZipFile(wheel).namelist()
    assert all(name in names for name in PACKAGE_DATA), sorted(set(PACKAGE_DATA) - set(names))
    metadata = (
        zipfile.ZipFile(wheel)
        .read(next(n for n in names if n.endswith(".dist-info/METADATA")))
        .decode()
    )
    assert "Name: future-video-studio" in metadata and "License-Expression: MIT" in metadata

    env_dir = tmp_path / "venv"
    venv.create(env_dir, system_site_packages=True, with_pip=True)
    python = env_dir / "bin" / "python"
    pip = [str(python), "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall"]
    subprocess.run([*pip, str(wheel)], check=True, capture_output=True, timeout=300)

    work = _mkdir(tmp_path / "work")
    env = _clean_env(FVS_DATA_DIR=str(work / ".fvs-data"))
    where = subprocess.run(
        [str(python), "-c", "import fvs; print(fvs.__file__)"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert where.stdout.strip().startswith(str(env_dir)), where.stdout  # the wheel's fvs

    demo = subprocess.run(
        [str(env_dir / "bin" / "fvs"), "demo"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert demo.returncode == 0, demo.stderr[-3000:]
    (film,) = work.glob("*.mp4")
    assert demo.stdout.rstrip().endswith(str(film.resolve()))
    assert film.read_bytes()[4:8] == b"ftyp"
