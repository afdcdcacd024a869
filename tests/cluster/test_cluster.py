"""Two API replicas and two Celery workers as separate processes, with no shared disk.

They share PostgreSQL, an S3 server, a Redis broker and a fake Veo that takes a few
seconds a clip. One render crosses replicas; a worker is SIGKILLed mid-filming; the
broker restarts mid-render. Every render completes, is charged once per stage, and
leaves no media on any machine's disk.
"""

from __future__ import annotations

import io
import json
import re
import time
import uuid
from collections import Counter

import boto3
import pytest
import requests
from PIL import Image
from sqlalchemy import create_engine, select, text

from fvs.db import Database
from fvs.media.probe import probe
from fvs.models import Job, Transfer
from tests.cluster.harness import Cluster, PrivateRedis
from tests.conftest import PG_ADMIN_URL, SMALL_RENDER
from tests.fakes.vertex import FakeVertex
from tests.storage.conftest import free_port
from tests.storage.objects import scratch_folders

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

VEO_RENDER = {
    "name": "Cluster Veo render",
    "screenplay": "Shot 1: A lighthouse keeper climbs the stairs. Shot 2: He lights the lamp.",
    "shot_count": 2,
    "scene_target_duration_seconds": 8,
    "video_model": "veo-3.1-fast-generate-001",
    "video_resolution": "720p",
    "planner_model": "local-planner",
    "image_model": "local-painter",
    "stage_voice_briefs_enabled": False,
}
PLAN_COUNT = r'^fvs_step_seconds_count\{[^}]*step="plan"[^}]*\} (\S+)$'
AWS = {
    "AWS_ACCESS_KEY_ID": "cluster-access-key",
    "AWS_SECRET_ACCESS_KEY": "cluster-secret-key",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="module")
def s3_server():
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(scope="module")
def pg_url(pg_template):
    name = f"fvs_cluster_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))  # empty: `fvs migrate` makes it
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module")
def veo():
    # Three "still running" polls a clip, one second apart: a few seconds per clip.
    with FakeVertex(polls_before_done=3) as fake:
        yield fake


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, s3_server, pg_url, veo):
    root = tmp_path_factory.mktemp("cluster")
    bucket = f"fvs-cluster-{uuid.uuid4().hex[:8]}"
    boto3.client("s3", endpoint_url=s3_server, **_aws_kwargs()).create_bucket(Bucket=bucket)
    redis = PrivateRedis(root).start()
    env = {
        **AWS,
        "FVS_EXECUTOR": "celery",
        "FVS_BROKER_URL": redis.url,
        "FVS_DATABASE_URL": pg_url,
        "FVS_AUTO_MIGRATE": "false",  # `fvs migrate` runs once, below
        "FVS_STORAGE_URL": f"s3://{bucket}/studio",
        "FVS_S3_ENDPOINT_URL": s3_server,
        "FVS_SECRET_KEY": "cluster-secret",
        "FVS_RELAY_SECONDS": "2",
        "FVS_JOB_LEASE_SECONDS": "3",
        "FVS_VEO_POLL_SECONDS": "1",
        "FVS_GOOGLE_API_KEY": "fake-api-key",
        "FVS_GOOGLE_BASE_URL": veo.base_url,
        "FVS_STATUS_MIN_INTERVAL_MS": "0",
    }
    built = Cluster(root, env)
    built.fvs("migrate")
    built.redis, built.bucket, built.s3_endpoint = redis, bucket, s3_server
    built.worker_metrics_ports = [free_port(), free_port()]
    try:
        built.api("api-1")
        built.api("api-2")
        # Each worker serves its metrics; the second's two prefork processes report together.
        built.workers = [
            built.worker(
                f"worker-{n}",
                *("--queues", "media,provider", "--concurrency", str(n)),
                *("--metrics-port", str(built.worker_metrics_ports[n - 1])),
                PROMETHEUS_MULTIPROC_DIR=str(built.data_dir(f"worker-{n}-metrics")),
            )
            for n in (1, 2)
        ]
        yield built
    finally:
        built.stop()
        redis.stop()


@pytest.fixture(scope="module")
def agent_key(cluster):
    email = f"cluster-{uuid.uuid4().hex[:6]}@example.com"
    cluster.fvs("accounts", "create", email, "--credits", "100000")
    return cluster.fvs("keys", "create", email).strip().splitlines()[-1]


def _aws_kwargs() -> dict[str, str]:
    return {
        "aws_access_key_id": AWS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": AWS["AWS_SECRET_ACCESS_KEY"],
        "region_name": AWS["AWS_DEFAULT_REGION"],
    }


def _poll(base: str, key: str, project_id: str, until, timeout: float = 240) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        status = requests.get(
            f"{base}/api/agent/renders/{project_id}", headers={"X-FVS-Agent-Key": key}, timeout=30
        ).json()
        if until(status) or status["status"] in ("failed", "cancelled"):
            return status
        assert time.monotonic() < deadline, f"render stuck: {status}"
        time.sleep(0.2)


def _completed(base: str, key: str, project_id: str) -> dict:
    status = _poll(base, key, project_id, lambda s: s["status"] == "completed")
    assert status["status"] == "completed", status["last_error"]
    return status


def _charged_once(pg_url: str, project_id: str) -> None:
    db = Database(pg_url)
    try:
        with db.read() as session:
            transfers = list(
                session.scalars(select(Transfer).where(Transfer.project_id == project_id))
            )
    finally:
        db.dispose()
    kinds = Counter(t.kind for t in transfers)
    holds = [t for t in transfers if t.kind == "pending"]
    assert kinds["single"] == 1  # the creation charge
    assert kinds["post"] + kinds["void"] == len(holds) and kinds["expire"] == 0
    assert len({t.pending_id for t in transfers if t.pending_id}) == len(holds)
    assert kinds["post"] >= 4  # planning, storyboarding, filming, production: each once


def _ready_again(base: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while requests.get(f"{base}/readyz", timeout=30).status_code != 200:
        assert time.monotonic() < deadline, "readyz stayed 503 after the broker came back"
        time.sleep(0.2)


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (30, 90, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def test_submit_on_one_replica_poll_on_the_other(cluster, agent_key, tmp_path):
    first, second = cluster.apis
    submitted = requests.post(
        f"{first}/api/agent/renders",
        headers={"X-FVS-Agent-Key": agent_key},
        files={
            "request_json": (None, json.dumps(SMALL_RENDER)),
            "reference_image": ("fox.png", _png(), "image/png"),
        },
        timeout=60,
    )
    assert submitted.status_code == 202, submitted.text
    project_id = submitted.json()["project_id"]
    status = _completed(second, agent_key, project_id)
    final = status["final_video_url"]
    assert final.startswith(f"{cluster.s3_endpoint}/{cluster.bucket}/studio/projects/{project_id}/")
    for shot in status["shots"]:
        assert shot["clip_url"].startswith(cluster.s3_endpoint)
    video = tmp_path / "final.mp4"
    video.write_bytes(requests.get(final, timeout=60).content)
    media = probe(video)
    assert media.video is not None and abs(media.duration_seconds - 4) <= 0.5
    assert cluster.media_files() == []  # nothing on any machine's disk
    assert scratch_folders(project_id) == []
    _charged_once(cluster.env["FVS_DATABASE_URL"], project_id)
    # Any replica reports the cluster's counts: they are read from the shared database.
    metrics = requests.get(f"{first}/metrics", timeout=30).text
    assert 'fvs_renders{status="completed"}' in metrics
    # Workers serve their own timings: each of the render's steps ran in one of them.
    scraped = [
        requests.get(f"http://127.0.0.1:{port}/", timeout=30).text
        for port in cluster.worker_metrics_ports
    ]
    planned = sum(
        float(m.group(1))
        for text_ in scraped
        for m in re.finditer(
            r'^fvs_step_seconds_count\{[^}]*step="plan"[^}]*\} (\S+)$', text_, re.M
        )
    )
    assert planned == 1, scraped


def test_a_worker_killed_mid_filming_loses_nothing(cluster, agent_key, veo):
    veo.reset()
    veo.polls_before_done = 3
    base = cluster.apis[0]
    project_id = requests.post(
        f"{base}/api/agent/renders",
        headers={"X-FVS-Agent-Key": agent_key},
        json=VEO_RENDER,
        timeout=60,
    ).json()["project_id"]
    # Both clips started and their operations saved: now kill a worker mid-filming.
    deadline = time.monotonic() + 120
    while len(veo.recorded("predictLongRunning")) < 2 or not veo.recorded("fetchPredictOperation"):
        assert time.monotonic() < deadline, "filming never started"
        time.sleep(0.1)
    time.sleep(0.5)
    filming = requests.get(
        f"{base}/api/agent/renders/{project_id}", headers={"X-FVS-Agent-Key": agent_key}, timeout=30
    ).json()
    assert filming["current_stage"] == "filming", filming
    cluster.workers[0].kill()
    cluster.workers[0] = cluster.worker(
        "worker-3", "--queues", "media,provider", "--concurrency", "1"
    )
    status = _completed(cluster.apis[1], agent_key, project_id)
    assert len(status["shots"]) == 2
    # The fake saw exactly one Veo start per shot: polls resumed the saved operations.
    starts = veo.recorded("predictLongRunning")
    assert len(starts) == 2, [r.body for r in starts]
    _charged_once(cluster.env["FVS_DATABASE_URL"], project_id)
    _film_jobs_done(cluster.env["FVS_DATABASE_URL"], project_id)


def _film_jobs_done(pg_url: str, project_id: str) -> None:
    db = Database(pg_url)
    try:
        with db.read() as session:
            jobs = list(session.scalars(select(Job).where(Job.project_id == project_id)))
    finally:
        db.dispose()
    assert {job.status for job in jobs} == {"done"}, [(j.step, j.status) for j in jobs]


def test_the_broker_restarting_mid_render_loses_nothing(cluster, agent_key, veo):
    veo.reset()
    veo.polls_before_done = 3
    base = cluster.apis[1]
    project_id = requests.post(
        f"{base}/api/agent/renders",
        headers={"X-FVS-Agent-Key": agent_key},
        json={**VEO_RENDER, "name": "Broker restart"},
        timeout=60,
    ).json()["project_id"]
    deadline = time.monotonic() + 120
    while not veo.recorded("predictLongRunning"):
        assert time.monotonic() < deadline, "filming never started"
        time.sleep(0.1)
    cluster.redis.stop()
    ready = requests.get(f"{base}/readyz", timeout=30)
    assert ready.status_code == 503
    assert ready.json()["error"]["field"] == "broker"
    assert "FVS_BROKER_URL" in ready.json()["error"]["message"]
    time.sleep(1)
    cluster.redis.start()
    _ready_again(base)
    status = _completed(cluster.apis[0], agent_key, project_id)
    assert status["final_video_url"].startswith(cluster.s3_endpoint)
    assert len(veo.recorded("predictLongRunning")) == 2
    _charged_once(cluster.env["FVS_DATABASE_URL"], project_id)
