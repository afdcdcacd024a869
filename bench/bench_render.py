"""End-to-end render of the seed's reference payload vs. ffmpeg merely encoding its frames.

Prints, from one run on one machine: seconds from POST to a downloadable MP4 on
the embedded studio, seconds the bundled ffmpeg needs to encode the same number
of 720p frames (testsrc2, our exact codec settings, with the same audio), and
their ratio. Usage: python bench/bench_render.py [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
import uuid
from importlib import resources
from pathlib import Path

import httpx
import uvicorn

from fvs.accounts import service as accounts
from fvs.app import build_studio, create_app
from fvs.billing import service as billing
from fvs.cli import _free_port, _wait_started
from fvs.config import Settings
from fvs.keys import service as keys
from fvs.media.encode import baseline_encode_args
from fvs.media.ffmpeg import run_ffmpeg


def _agent_key(settings: Settings) -> str:
    studio = build_studio(settings)

    def make(session):  # type: ignore[no-untyped-def]
        account = accounts.create_account(session, email=f"bench-{uuid.uuid4().hex[:6]}@x.io")
        billing.grant(session, account_id=account.id, amount=100_000, transfer_id=f"g:{account.id}")
        return keys.issue_key(
            session, account_id=account.id, name="bench", secret=settings.resolved_secret
        ).secret

    try:
        return studio.db.transact(make)
    finally:
        studio.db.dispose()


def time_render(base_url: str, key: str, payload: dict) -> tuple[float, int]:
    """Seconds from submit to the final MP4 downloaded, and the frame count rendered."""
    with httpx.Client(base_url=base_url, headers={"X-FVS-Agent-Key": key}, timeout=300) as client:
        start = time.perf_counter()
        job = client.post(
            "/api/agent/renders", files={"request_json": (None, json.dumps(payload))}
        ).json()
        while (status := client.get(job["status_url"]).json())["status"] not in (
            "completed",
            "failed",
            "cancelled",
        ):
            time.sleep(0.05)
        assert status["status"] == "completed", status["last_error"]
        size = len(client.get(status["final_video_url"]).content)
        elapsed = time.perf_counter() - start
    assert size > 0
    return elapsed, sum(s["duration_seconds"] for s in status["shots"]) * 24


def time_baseline(frames: int, workdir: Path) -> float:
    start = time.perf_counter()
    run_ffmpeg(
        baseline_encode_args(
            workdir / "baseline.mp4", frame_count=frames, width=1280, height=720, with_audio=True
        )
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    payload = json.loads(resources.files("fvs").joinpath("reference_request.json").read_text())
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", status_min_interval_ms=0)
        key = _agent_key(settings)
        port = _free_port()
        server = uvicorn.Server(
            uvicorn.Config(create_app(settings), port=port, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        _wait_started(server)
        renders, baselines = [], []
        try:
            for n in range(runs):
                seconds, frames = time_render(f"http://127.0.0.1:{port}", key, payload)
                baseline = time_baseline(frames, Path(tmp))
                renders.append(seconds)
                baselines.append(baseline)
                print(
                    f"run {n + 1}: render {seconds:.2f} s, ffmpeg-only {baseline:.2f} s "
                    f"for {frames} frames at 1280x720, ratio {seconds / baseline:.2f}"
                )
        finally:
            server.should_exit = True
            thread.join(15)
    render, base = statistics.median(renders), statistics.median(baselines)
    print(
        f"median: end-to-end {render:.2f} s | ffmpeg encode only {base:.2f} s | "
        f"ratio {render / base:.2f} (target <= 1.5)"
    )


if __name__ == "__main__":
    main()
