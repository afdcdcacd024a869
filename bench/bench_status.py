"""How cheap the status route is: the seed's sleep-less poll loop against a real server.

Prints, from one run: median and p99 latency of GET /api/agent/renders/{id}
(key check, project, shots, assets, signed URLs) for a completed three-shot
render, the same for GET / (the cheapest route: the HTTP stack alone), and the
ratio. Pacing is off here, to measure the work itself.
Usage: python bench/bench_status.py [--requests 2000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from importlib import resources
from pathlib import Path

import httpx

from bench.bench_render import _agent_key
from fvs.config import Settings
from tests.threaded_server import serve_in_thread


def latencies(client: httpx.Client, url: str, count: int) -> list[float]:
    out = []
    for _ in range(count):
        start = time.perf_counter()
        client.get(url).raise_for_status()
        out.append((time.perf_counter() - start) * 1000)
    return out


def describe(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[int(len(ordered) * 0.99) - 1]
    return f"median {statistics.median(ordered):.2f} ms, p99 {p99:.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    count = parser.parse_args().requests
    payload = json.loads(resources.files("fvs").joinpath("reference_request.json").read_text())
    payload["wait_for_completion_seconds"] = 120
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", status_min_interval_ms=0)
        key = _agent_key(settings)
        with (
            serve_in_thread(settings) as base,
            httpx.Client(base_url=base, headers={"X-FVS-Agent-Key": key}, timeout=60) as client,
        ):
            job = client.post(
                "/api/agent/renders", files={"request_json": (None, json.dumps(payload))}
            ).json()
            assert job["status"] == "completed", job
            latencies(client, job["status_url"], 100)  # warm up
            status = latencies(client, job["status_url"], count)
            root = latencies(client, "/", count)
    print(f"status route: {describe(status)} over {count} sequential requests")
    print(f"GET / (HTTP stack only): {describe(root)}")
    print(f"ratio of medians: {statistics.median(status) / statistics.median(root):.2f}")


if __name__ == "__main__":
    main()
