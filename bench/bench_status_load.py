"""Status polls under load: wrk against `fvs serve` while 50 renders wait on a slow Veo.

One run measures, with wrk (16 connections, 15 s each, pacing off):
- a bare FastAPI route served by uvicorn the same way (same worker count): the baseline;
- GET /api/agent/renders/{id} round-robin over the 50 renders, full bodies (200);
- the same with each render's ETag in If-None-Match (304s).
and prints req/s, p50 and p99 for each, and the ratios to the baseline. The renders are
real: submitted through the API, planned and painted by the local models, then held
mid-filming by the Veo fake (tests/fakes/vertex.py) that never finishes a clip, so the
executor keeps polling Veo in the background exactly as it would in production.
On a shared machine the absolute figures are noisy; the ratios are the comparable part.

Usage: python -m bench.bench_status_load [--renders 50] [--seconds 15] [--workers N]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from fvs.config import Settings
from tests.fakes.vertex import FakeVertex
from tests.live_server import free_port, fvs

RENDER = {
    "name": "Held mid-filming",
    "screenplay": "Shot 1: A lighthouse keeper climbs the stairs as the storm begins.",
    "shot_count": 1,
    "scene_target_duration_seconds": 8,
    "image_resolution": "1K",
    "video_model": "veo-3.1-fast-generate-001",
    "video_resolution": "720p",
}
WRK_SCRIPT = """
local targets = {%s}
local i = 0
request = function()
  i = i %% #targets + 1
  local t = targets[i]
  local headers = {["X-FVS-Agent-Key"] = "%s"}
  if t[2] ~= "" then headers["If-None-Match"] = t[2] end
  return wrk.format("GET", t[1], headers)
end
"""


def bare_app() -> FastAPI:
    """The baseline: one FastAPI route with a small JSON answer, nothing else."""
    app = FastAPI()

    @app.get("/ping")
    async def ping() -> dict[str, bool]:
        return {"ok": True}

    return app


@dataclass(frozen=True)
class Load:
    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    non_2xx: int


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(name: str, url: str, *, seconds: int, connections: int, script: Path | None) -> Load:
    """Run wrk with --latency and read req/s, p50 and p99 off its report."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if script is not None:
        command[1:1] = ["-s", str(script)]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    assert p50 and p99, out
    return Load(
        name, rate, _ms(*p50.groups()), _ms(*p99.groups()), int(errors.group(1)) if errors else 0
    )


def _serve(
    command: list[str], env: dict[str, str], log: Path, probe: str
) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(command, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(probe, timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{command} did not start: {log.read_text()[-2000:]}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()


def hold_renders(base: str, key: str, count: int) -> list[tuple[str, str]]:
    """Submit `count` renders and wait until each films a Veo clip; (path, ETag) of each."""
    headers = {"X-FVS-Agent-Key": key}
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        ids = [
            client.post("/api/agent/renders", json=RENDER).raise_for_status().json()["project_id"]
            for _ in range(count)
        ]
        held: dict[str, str] = {}
        deadline = time.monotonic() + 600
        while len(held) < count:
            assert time.monotonic() < deadline, f"only {len(held)} of {count} reached filming"
            for project_id in (p for p in ids if p not in held):
                answer = client.get(f"/api/agent/renders/{project_id}")
                body = answer.json()
                assert body["status"] in ("queued", "running"), body
                if body["current_stage"] == "filming" and answer.headers.get("Retry-After") == "5":
                    held[project_id] = answer.headers["ETag"]
            time.sleep(1)
    return [(f"/api/agent/renders/{p}", tag) for p, tag in held.items()]


def _still_current(base: str, key: str, targets: list[tuple[str, str]]) -> int:
    """How many renders still answer 304 to their first ETag: the 304 run really was 304s."""
    headers = {"X-FVS-Agent-Key": key}
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        answers = [client.get(p, headers={"If-None-Match": tag}) for p, tag in targets]
    return sum(a.status_code == 304 for a in answers)


def _script(folder: Path, name: str, key: str, targets: list[tuple[str, str]]) -> Path:
    rows = ", ".join(f'{{"{path}", {json.dumps(tag)}}}' for path, tag in targets)
    path = folder / f"{name}.lua"
    path.write_text(WRK_SCRIPT % (rows, key))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=Settings().serve_workers)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, FakeVertex(never_finish=True) as fake:
        folder = Path(tmp)
        loads = measure(folder, fake, args)
    report(loads, args)


def measure(folder: Path, fake: FakeVertex, args: Any) -> list[Load]:
    env = {
        **os.environ,
        "FVS_DATA_DIR": str(folder / "data"),
        "FVS_SECRET_KEY": "bench-secret",
        "FVS_GOOGLE_API_KEY": "bench-key",
        "FVS_GOOGLE_BASE_URL": fake.base_url,
        "FVS_VEO_POLL_SECONDS": "5",
        "FVS_STATUS_MIN_INTERVAL_MS": "0",  # pacing off: measure the work itself
    }
    fvs(env, "accounts", "create", "load@example.com", "--credits", "1000000")
    key = fvs(env, "keys", "create", "load@example.com", "--name", "load").splitlines()[-1]
    wrk = {"seconds": args.seconds, "connections": args.connections}
    port = free_port()
    bare = _serve(
        [
            sys.executable,
            "-c",
            "from fvs.ops.serving import run_processes; "
            "run_processes('bench.bench_status_load:bare_app', "
            f"workers={args.workers}, host='127.0.0.1', port={port})",
        ],
        env,
        folder / "bare.log",
        f"http://127.0.0.1:{port}/ping",
    )
    try:
        baseline = run_wrk(
            "bare FastAPI route", f"http://127.0.0.1:{port}/ping", script=None, **wrk
        )
    finally:
        _stop(bare)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "fvs", "serve", "--port", str(port)]
    server = _serve([*command, "--workers", str(args.workers)], env, folder / "fvs.log", base)
    try:
        targets = hold_renders(base, key, args.renders)
        full = _script(folder, "full", key, [(p, "") for p, _ in targets])
        cached = _script(folder, "cached", key, targets)
        loads = [
            baseline,
            run_wrk("status, 200 with body", base, script=full, **wrk),
            run_wrk("status, If-None-Match: 304", base, script=cached, **wrk),
        ]
        print(f"{_still_current(base, key, targets)} of {len(targets)} ETags still current after")
        return loads
    finally:
        _stop(server)


def report(loads: list[Load], args: Any) -> None:
    baseline = loads[0]
    print(
        f"wrk: {args.connections} connections, {args.seconds} s per run, "
        f"{args.renders} renders held mid-filming, fvs serve --workers {args.workers}, "
        f"{os.cpu_count()} CPUs (shared: compare the ratios)"
    )
    print(f"{'':32} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'x req/s':>8} {'x p99':>7}")
    for load in loads:
        print(
            f"{load.name:32} {load.requests_per_second:9.0f} {load.p50_ms:8.2f} "
            f"{load.p99_ms:8.2f} {load.requests_per_second / baseline.requests_per_second:8.2f} "
            f"{load.p99_ms / baseline.p99_ms:7.2f}"
            + (f"  ({load.non_2xx} non-2xx/3xx)" if load.non_2xx else "")
        )


if __name__ == "__main__":
    main()
