"""The Python client polls politely: it sends back the ETag and waits as Retry-After says."""

from __future__ import annotations

import json

import pytest

from fvs import client as studio_client
from fvs.renders import freshness
from tests.conftest import SMALL_RENDER


@pytest.mark.settings(executor="none")
def test_the_client_revalidates_and_honours_retry_after(client, make_agent):
    agent = make_agent()
    client.headers.update(agent.headers)
    files = {"request_json": (None, json.dumps(SMALL_RENDER))}
    job = client.post("/api/agent/renders", files=files).json()
    seen: list[int] = []
    client.event_hooks = {"response": [lambda r: seen.append(r.status_code)]}
    poll = studio_client._Poll(client, job["status_url"])

    first, wait = poll.next(default_wait=0.5)
    again, wait_again = poll.next(default_wait=0.5)
    assert seen == [200, 304]
    assert again == first and first["status"] == "queued"
    assert wait == wait_again == freshness.LOCAL_WORK_RETRY_SECONDS

    client.post(f"/api/agent/renders/{job['project_id']}/cancel")
    ended, wait_ended = poll.next(default_wait=0.5)
    assert seen[-1] == 200 and ended["status"] == "cancelled"
    assert wait_ended == 0.5  # no hint once ended: the caller's own pace
