"""Throughput on Celery workers, and how fast an idle cluster starts a published job.

Starts, as separate processes: one API replica, then Celery workers on a private Redis
broker, sharing a PostgreSQL database and an S3 server (moto). Prints, from one run:

1. Latency-bound: N renders whose every provider call (Gemini plan and image, Veo start
   and poll) answers after L seconds, on 1 `provider` worker, then on 2 (concurrency 1
   each; one `media` worker for production both times). Throughput ratio 2 vs 1.
2. CPU-bound: N local renders (planner, painter, animatic) on 1 `media` worker, then
   on 2. Throughput ratio 2 vs 1 (on 2 cores expect about 1: the work already fills them).
3. Publish-to-start latency of jobs on an idle cluster: median and p95, from each job's
   `published_at` to its lease (lease_until minus the lease length).

Needs PostgreSQL at FVS_TEST_PG_URL (default: the local one) and redis-server on PATH.
Usage: python -m bench.bench_cluster [--renders 12] [--latency 0.5]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import boto3
import requests
from moto.server import ThreadedMotoServer
from sqlalchemy import create_engine, select, text

from fvs import migrate
from fvs.db import Database
from fvs.models import Job
from fvs.stages import PER_SHOT_STEPS
from tests.cluster.harness import Cluster, PrivateRedis
from tests.conftest import PG_ADMIN_URL
from tests.fakes.vertex import FakeVertex
from tests.live_server import free_port

LEASE_SECONDS = 60
GOOGLE_RENDER = {
    "screenplay": "A lighthouse keeper lights the lamp.",
    "shot_count": 1,
    "scene_target_duration_seconds": 4,
    "video_model": "veo-3.1-fast-generate-001",
    "video_resolution": "720p",
    "planner_model": "gemini-2.5-flash",
    "image_model": "gemini-3-pro-image-preview",
    "stage_voice_briefs_enabled": False,
}
LOCAL_RENDER = {
    "screenplay": "Shot 1: A red fox walks into a snowy forest. Shot 2: It looks up.",
    "shot_count": 2,
    "scene_target_duration_seconds": 4,
    "video_model": "local-animatic",
    "video_resolution": "480p",
    "planner_model": "local-planner",
    "image_model": "local-painter",
    "stage_voice_briefs_enabled": False,
}
AWS = {
    "AWS_ACCESS_KEY_ID": "bench-access-key",
    "AWS_SECRET_ACCESS_KEY": "bench-secret-key",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@contextmanager
def database() -> Iterator[str]:
    name = f"fvs_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        migrate.upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def s3_bucket() -> Iterator[tuple[str, str]]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    bucket = "fvs-bench"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=AWS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=AWS["AWS_SECRET_ACCESS_KEY"],
        region_name=AWS["AWS_DEFAULT_REGION"],
    )
    client.create_bucket(Bucket=bucket)
    try:
        yield endpoint, bucket
    finally:
        server.stop()


def render_all(cluster: Cluster, key: str, payload: dict[str, object], count: int) -> float:
    """Seconds from submitting `count` renders at once until the last one completed."""
    base = cluster.apis[0]
    headers = {"X-FVS-Agent-Key": key}
    started = time.perf_counter()
    ids = [
        requests.post(
            f"{base}/api/agent/renders", json=payload, headers=headers, timeout=60
        ).json()["project_id"]
        for _ in range(count)
    ]
    waiting = set(ids)
    while waiting:
        for project_id in list(waiting):
            status = requests.get(
                f"{base}/api/agent/renders/{project_id}", headers=headers, timeout=30
            ).json()
            assert status["status"] not in ("failed", "cancelled"), status["last_error"]
            if status["status"] == "completed":
                waiting.discard(project_id)
        time.sleep(0.2)
    return time.perf_counter() - started


def throughput(
    cluster: Cluster, key: str, payload: dict[str, object], count: int, workers: list[list[str]]
) -> float:
    """Renders per minute with these workers (each an `fvs worker` argument list)."""
    started = [cluster.worker(f"w-{uuid.uuid4().hex[:6]}", *args) for args in workers]
    try:
        return count * 60 / render_all(cluster, key, payload, count)
    finally:
        for worker in started:
            worker.stop()
            cluster.processes.remove(worker)


def publish_to_start(pg_url: str) -> list[float]:
    """Milliseconds from publish to lease, for jobs run once, due at once and alone in their
    queue (per-shot steps fan out and would measure queueing behind a sibling instead)."""
    db = Database(pg_url)
    try:
        with db.read() as session:
            jobs = list(session.scalars(select(Job).where(Job.status == "done")))
    finally:
        db.dispose()
    lease = timedelta(seconds=LEASE_SECONDS)
    return [
        (job.lease_until - lease - job.published_at).total_seconds() * 1000
        for job in jobs
        if job.attempts == 1 and job.published_at and job.lease_until
        if job.run_after <= job.published_at and job.step not in PER_SHOT_STEPS
    ]


def describe(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[max(0, round(len(ordered) * 0.95) - 1)]
    return f"median {statistics.median(ordered):.1f} ms, p95 {p95:.1f} ms ({len(ordered)} jobs)"


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's request log
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=12)
    parser.add_argument("--latency", type=float, default=0.5, help="seconds per provider call")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        database() as pg_url,
        s3_bucket() as (endpoint, bucket),
        FakeVertex(polls_before_done=1, latency_seconds=args.latency) as veo,
    ):
        root = Path(tmp)
        redis = PrivateRedis(root).start()
        cluster = Cluster(
            root,
            {
                **AWS,
                "FVS_EXECUTOR": "celery",
                "FVS_BROKER_URL": redis.url,
                "FVS_DATABASE_URL": pg_url,
                "FVS_STORAGE_URL": f"s3://{bucket}/bench",
                "FVS_S3_ENDPOINT_URL": endpoint,
                "FVS_SECRET_KEY": "bench-secret",
                "FVS_JOB_LEASE_SECONDS": str(LEASE_SECONDS),
                "FVS_VEO_POLL_SECONDS": "0.5",
                "FVS_GOOGLE_API_KEY": "fake-api-key",
                "FVS_GOOGLE_BASE_URL": veo.base_url,
                "FVS_STATUS_MIN_INTERVAL_MS": "0",
            },
        )
        try:
            cluster.api("api")
            email = f"bench-{uuid.uuid4().hex[:6]}@example.com"
            cluster.fvs("accounts", "create", email, "--credits", "10000000")
            key = cluster.fvs("keys", "create", email).strip().splitlines()[-1]
            run(cluster, key, pg_url, args)
        finally:
            cluster.stop()
            redis.stop()


def run(cluster: Cluster, key: str, pg_url: str, args: argparse.Namespace) -> None:
    media = ["--queues", "media", "--concurrency", "1"]
    provider = ["--queues", "provider", "--concurrency", "1", "--pool", "threads"]
    # Publish-to-start on an idle cluster: one render at a time, one worker of each kind.
    idle = [media, provider]
    started = [cluster.worker(f"idle-{n}", *w) for n, w in enumerate(idle)]
    for _ in range(5):
        render_all(cluster, key, LOCAL_RENDER, 1)
    latencies = publish_to_start(pg_url)
    for worker in started:
        worker.stop()
        cluster.processes.remove(worker)
    n = args.renders
    one = throughput(cluster, key, GOOGLE_RENDER, n, [media, provider])
    two = throughput(cluster, key, GOOGLE_RENDER, n, [media, provider, provider])
    print(f"latency-bound ({n} renders, {args.latency} s a provider call):")
    print(f"  1 provider worker {one:.1f}/min, 2 workers {two:.1f}/min: ratio {two / one:.2f}")
    one = throughput(cluster, key, LOCAL_RENDER, n, [media])
    two = throughput(cluster, key, LOCAL_RENDER, n, [media, media])
    print(f"CPU-bound ({n} local renders):")
    print(f"  1 media worker {one:.1f}/min, 2 workers {two:.1f}/min: ratio {two / one:.2f}")
    print(f"publish-to-start on an idle cluster: {describe(latencies)}")


if __name__ == "__main__":
    main()
