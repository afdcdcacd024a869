"""A storm of Google 5xx and 429 answers: retried with backoff, then failed, credits back."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fvs.app import create_app
from fvs.billing.service import hold_id
from fvs.config import Settings
from fvs.models import Transfer
from tests.conftest import Agent, wait_for
from tests.fakes.vertex import FakeVertex

pytestmark = pytest.mark.slow
SDK_ATTEMPTS = 5  # fvs.providers.google.client.with_retries
JOB_ATTEMPTS = 2
ONE_SHOT = {
    "screenplay": "Shot 1: A young woman opens a red door.",
    "shot_count": 1,
    "scene_target_duration_seconds": 4,
    "video_model": "veo-3.1-fast-generate-001",
    "video_resolution": "720p",
    "planner_model": "gemini-2.5-flash",
    "image_model": "gemini-3-pro-image-preview",
}


@pytest.fixture
def fake() -> Iterator[FakeVertex]:
    with FakeVertex() as server:
        yield server


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any], fake: FakeVertex) -> dict[str, Any]:
    return {
        "google_api_key": "test-express-key",
        "google_base_url": fake.base_url,
        "veo_poll_seconds": 0.05,
        "job_retry_base_seconds": 0,
        "job_max_attempts": JOB_ATTEMPTS,
        # The count below is exact; on a starved machine a lapsed lease would let a second
        # thread run an attempt again (at-least-once, by design), which is not under test.
        "job_lease_seconds": 120,
        **settings_overrides,
    }


def test_a_storm_of_5xx_and_429_fails_plainly_and_returns_the_credits(
    settings: Settings, fake: FakeVertex, make_agent: Callable[..., Agent]
) -> None:
    agent = make_agent(credits=5000)
    # Every Veo start answers 503, 429 or 500, more times than all retries together.
    fake.fail_storm("predictLongRunning", times=100)
    with TestClient(create_app(settings)) as client:
        body = {"request_json": (None, json.dumps(ONE_SHOT))}
        job = client.post("/api/agent/renders", headers=agent.headers, files=body).json()
        status = wait_for(client, agent, job["project_id"], ("completed", "failed"), timeout=150)
        wallet = client.get("/api/agent/wallet", headers=agent.headers).json()
        with client.app.state.studio.db.read() as session:
            film_hold = hold_id(job["project_id"], "filming")
            resolution = session.scalars(
                select(Transfer).where(Transfer.pending_id == film_hold)
            ).one()
    assert status["status"] == "failed"
    assert status["last_error"].startswith("filming failed on shot 1"), status["last_error"]
    starts = fake.recorded("predictLongRunning")
    # Each job attempt retries the call itself; the job is then retried: no more, no less.
    assert len(starts) == SDK_ATTEMPTS * JOB_ATTEMPTS
    # Backoff: 2 x (four jittered waits of up to 1, 2, 4 and 8 s). Without backoff the
    # whole storm passes in milliseconds; even this noisy machine cannot fake 1 s of sleep.
    assert starts[-1].at - starts[0].at > 1.0
    # Nothing was filmed, so the filming hold went back whole; what was really spent
    # (creation, planning, the storyboard) is exactly what left the wallet.
    assert resolution.kind == "void"
    assert wallet["held_credits"] == 0
    assert wallet["available_credits"] == 5000 - status["credits_settled"]
    assert status["credits_settled"] < status["credits_reserved"]
