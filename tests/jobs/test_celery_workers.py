"""FVS_EXECUTOR=celery with real workers: the API publishes, a separate worker process renders.

Every test runs on RabbitMQ and on Redis, with a worker started the way an operator
starts one, and asserts on the job rows, the render and what the worker said.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from fvs.jobs import service as jobs
from fvs.media.probe import probe
from fvs.models import Job, Project
from fvs.pipeline import state
from fvs.stages import Status
from fvs.studio import Studio
from tests.conftest import SMALL_RENDER, wait_for
from tests.fakes.vertex import FakeVertex
from tests.jobs.brokers import Broker, WorkerProcess, celery_settings
from tests.jobs.queue import job_rows, submit_render, wait_until

pytestmark = pytest.mark.slow  # each test starts a Celery worker process and renders
ON_GOOGLE = {
    **SMALL_RENDER,
    "video_model": "veo-3.1-fast-generate-001",
    "video_resolution": "720p",
    "scene_target_duration_seconds": 8,
    "planner_model": "gemini-2.5-flash",
    "image_model": "gemini-3-pro-image-preview",
}


@pytest.fixture
def settings_overrides(settings_overrides, broker: Broker, request):
    google = {}
    if "fake" in request.fixturenames:  # the Google models, served by the local Vertex fake
        fake = request.getfixturevalue("fake")
        google = {"google_api_key": "test-express-key", "google_base_url": fake.base_url}
    return {**celery_settings(broker), **google, **settings_overrides}


@pytest.fixture
def fake():
    with FakeVertex() as server:
        yield server


@pytest.fixture
def worker(settings, tmp_path):
    """A Celery worker on both queues, started by `fvs worker` (threads, two at once)."""
    process = WorkerProcess.fvs_worker(
        settings, tmp_path / "worker.log", "--pool", "threads", "--concurrency", "2"
    )
    yield process
    process.stop()


def wait_completed(studio: Studio, project_id: str, timeout: float = 120) -> None:
    def finished() -> bool:
        with studio.db.read() as session:
            project = session.get(Project, project_id)
            assert project is not None
            assert project.status != Status.FAILED, project.last_error
            return project.status == Status.COMPLETED

    wait_until(finished, timeout=timeout, what=f"render {project_id} to complete")


def test_a_small_render_completes_on_a_separate_worker(client, make_agent, worker, settings):
    worker.start()
    agent = make_agent()
    submitted = client.post("/api/agent/renders", headers=agent.headers, json=SMALL_RENDER)
    assert submitted.status_code == 202
    done = wait_for(client, agent, submitted.json()["project_id"], ("completed", "failed"), 120)
    assert done["status"] == "completed", done["last_error"]
    final = settings.media_dir / "projects" / done["project_id"] / "final.mp4"
    assert probe(final).duration_seconds == pytest.approx(4, abs=0.5)
    rows = job_rows(client.app.state.studio)
    # plan, references, a keyframe and a clip per shot, produce: each run once, by the worker.
    assert sorted(row.step for row in rows) == sorted(
        ["plan", "references", "keyframe", "keyframe", "film", "film", "produce"]
    )
    for row in rows:
        assert (row.status, row.attempts, row.queue) == ("done", 1, "media")
        assert row.published_at is not None
    assert "fvs.run_job" in worker.output()


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_render_completes_on_prefork_workers_started_by_celery_itself(
    client, make_agent, settings, broker, tmp_path
):
    queues = f"{broker.queue('media')},{broker.queue('provider')}"
    log = tmp_path / "celery.log"
    args = ["--queues", queues, "--pool", "prefork", "--concurrency", "2", "--loglevel", "INFO"]
    worker = WorkerProcess.celery_worker(settings, log, *args)
    try:
        worker.start()
        agent = make_agent()
        body = {**SMALL_RENDER, "shot_count": 1, "screenplay": "Shot 1: A fox in the snow."}
        submitted = client.post("/api/agent/renders", headers=agent.headers, json=body)
        project_id = submitted.json()["project_id"]
        done = wait_for(client, agent, project_id, ("completed", "failed"), 120)
    finally:
        worker.stop()
    assert done["status"] == "completed", done["last_error"]
    assert {(row.status, row.attempts) for row in job_rows(client.app.state.studio)} == {
        ("done", 1)
    }
    # The steps ran in the pool's child processes, each with a lease owner of its own.
    assert "ForkPoolWorker" in worker.output()


@pytest.mark.settings(veo_poll_seconds=1.0, job_retry_base_seconds=0)
def test_google_steps_run_on_the_provider_worker_and_production_on_the_media_worker(
    client, make_agent, settings, tmp_path, fake
):
    media = WorkerProcess.fvs_worker(settings, tmp_path / "media.log", "--queues", "media")
    provider = WorkerProcess.fvs_worker(settings, tmp_path / "provider.log", "--queues", "provider")
    try:
        media.start()
        provider.start()
        agent = make_agent(credits=5000)
        response = client.post("/api/agent/renders", headers=agent.headers, json=ON_GOOGLE)
        assert response.status_code == 202, response.text
        project_id = response.json()["project_id"]
        done = wait_for(client, agent, project_id, ("completed", "failed"), 120)
    finally:
        media.stop()
        provider.stop()
    assert done["status"] == "completed", done["last_error"]
    assert done["stage_providers"]["filming"]["provider"] == "google"
    ran = {row.id: (row.step, row.queue) for row in job_rows(client.app.state.studio)}
    assert {queue for step, queue in ran.values() if step != "produce"} == {"provider"}
    assert {queue for step, queue in ran.values() if step == "produce"} == {"media"}
    started = r"job (\d+): (\w+) \(shot index -?\d+\), attempt"
    assert {step for _, step in re.findall(started, media.output())} == {"produce"}
    assert "produce" not in {step for _, step in re.findall(started, provider.output())}
    # Each Veo clip was polled at least once: a re-scheduled job, sent with an ETA.
    assert len(fake.recorded("fetchPredictOperation")) >= 2


def test_jobs_whose_delivery_was_lost_are_relayed(studio, worker, broker, celery_app):
    sent_then_lost, _ = submit_render(studio)
    [delivery] = studio.db.transact(jobs.claim_unpublished)
    celery_app.send_job(delivery)
    lost: list[object] = []
    wait_until(lambda: bool(lost.extend(broker.take("media")) or lost), what="the message")
    # Sent, and taken by a worker that died with the job: its lease runs out in a second.
    died_running, _ = submit_render(studio)
    [taken] = studio.db.transact(jobs.claim_unpublished)
    dead = timedelta(seconds=1)
    assert jobs.lease_by_id(studio.db, job_id=taken.job_id, owner="dead", lease=dead)
    never_sent, _ = submit_render(studio)  # committed; its process "died" before publishing
    worker.start()
    # The worker runs only what it is sent: these complete because the relay sent them again.
    for project_id in (never_sent, sent_then_lost, died_running):
        wait_completed(studio, project_id)
    relayed = re.findall(r"relaying (\d+) job\(s\) whose delivery was lost", worker.output())
    assert sum(int(n) for n in relayed) >= 3
    attempts = {row.id: row.attempts for row in job_rows(studio)}
    assert attempts.pop(taken.job_id) == 2  # the dead worker's try, and the one that finished
    assert set(attempts.values()) == {1}


@pytest.mark.settings(relay_seconds=60)  # only the three deliveries sent here
def test_a_second_delivery_of_one_job_runs_its_step_once(studio, worker, publisher, celery_app):
    project_id, _ = submit_render(studio)
    [plan] = studio.db.transact(jobs.claim_unpublished)
    for _ in range(3):
        celery_app.send_job(plan)
    worker.start()
    wait_completed(studio, project_id)
    assert publisher.publish_committed() == 0
    [row] = [row for row in job_rows(studio) if row.id == plan.job_id]
    assert row.status == "done" and row.attempts == 1
    skipped = f"job {plan.job_id} is done, not due yet or leased elsewhere: delivery skipped"
    wait_until(lambda: worker.output().count(skipped) == 2, what="both extra deliveries")


def test_a_delayed_requeue_is_published_with_an_eta_and_runs_when_due(
    studio, worker, publisher, celery_app
):
    project_id, _ = submit_render(studio)
    # The plan job, leased as a Veo poll's step would be, asks to run again in 4 s.
    [claimed] = studio.db.transact(jobs.claim_unpublished)
    plan = jobs.lease_by_id(studio.db, job_id=claimed.job_id, owner="poll", lease=timedelta(60))
    assert plan is not None
    worker.start()
    state.reschedule(studio, plan, delay_seconds=4)
    due = _row(studio, plan.id).run_after
    wait_until(lambda: _scheduled(celery_app, worker.hostname), what="the worker to hold it")
    [(eta, job_id)] = _scheduled(celery_app, worker.hostname)
    assert job_id == plan.id and abs(eta - due.timestamp()) < 0.01
    wait_completed(studio, project_id)
    row = _row(studio, plan.id)
    assert row.attempts == 1  # the poll's own lease was refunded; the worker's is the one
    # It ran once due, not early: the step it queued next was made after run_after.
    references = [r for r in job_rows(studio) if r.step == "references"]
    assert references[0].created_at >= due


def _row(studio: Studio, job_id: int) -> Job:
    with studio.db.read() as session:
        row = session.get(Job, job_id)
        assert row is not None
        return row


def _scheduled(app, hostname: str) -> list[tuple[float, int]]:
    """The (ETA, job id) of each message the worker holds until it is due."""
    answer = app.control.inspect(destination=[hostname], timeout=2).scheduled() or {}
    return [
        (_timestamp(entry["eta"]), entry["request"]["args"][0])
        for entry in answer.get(hostname, [])
    ]


def _timestamp(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()
