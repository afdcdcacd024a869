"""Client construction, retries and per-model concurrency, against the fake Vertex server."""

from __future__ import annotations

import threading
import time

import pytest
from google.genai import errors
from google.oauth2.credentials import Credentials

from fvs.providers.google.client import (
    GoogleConfig,
    GoogleProviderError,
    ModelGate,
    make_client,
    with_retries,
)
from tests.fakes.vertex import FakeVertex


def _api_error(code: int) -> errors.APIError:
    return errors.APIError(code, {"error": {"code": code, "message": "scripted"}})


def test_configured_needs_a_project_or_an_api_key() -> None:
    assert not GoogleConfig().configured
    assert GoogleConfig(project="p").configured
    assert GoogleConfig(api_key="k").configured
    with pytest.raises(GoogleProviderError, match="project or an API key"):
        make_client(GoogleConfig())


def test_express_client_talks_vertex_to_the_base_url(fake: FakeVertex) -> None:
    client = make_client(fake.config())
    answer = client.models.generate_content(model="gemini-2.5-flash", contents="hello")
    assert answer.text == "ok"
    [seen] = fake.requests
    assert seen.path == "/v1beta1/publishers/google/models/gemini-2.5-flash:generateContent"


def test_project_client_uses_the_project_path_shape(fake: FakeVertex) -> None:
    config = GoogleConfig(project="studio-1", location="europe-west4", base_url=fake.base_url)
    client = make_client(config, credentials=Credentials(token="fake-token"))
    client.models.generate_content(model="gemini-2.5-flash", contents="hello")
    [seen] = fake.requests
    assert seen.path == (
        "/v1beta1/projects/studio-1/locations/europe-west4/"
        "publishers/google/models/gemini-2.5-flash:generateContent"
    )


def test_retries_quota_errors_then_returns(fake: FakeVertex) -> None:
    fake.fail_next("generateContent", status=429, times=2)
    client = make_client(fake.config())
    slept: list[float] = []
    answer = with_retries(
        lambda: client.models.generate_content(model="gemini-2.5-flash", contents="hi"),
        base_delay=1.0,
        sleep=slept.append,
    )
    assert answer.text == "ok"
    assert len(fake.recorded("generateContent")) == 3
    # Full jitter: each wait lies between zero and the doubling ceiling.
    assert len(slept) == 2 and 0 <= slept[0] <= 1.0 and 0 <= slept[1] <= 2.0


def test_server_errors_are_retried_and_client_errors_are_not() -> None:
    calls = {"n": 0}

    def flaky() -> str:
        calls["n"] += 1
        raise _api_error(503 if calls["n"] == 1 else 400)

    with pytest.raises(errors.APIError) as raised:
        with_retries(flaky, sleep=lambda s: None)
    assert raised.value.code == 400 and calls["n"] == 2


def test_gives_up_after_the_last_attempt() -> None:
    calls = {"n": 0}

    def always_busy() -> None:
        calls["n"] += 1
        raise _api_error(429)

    with pytest.raises(errors.APIError):
        with_retries(always_busy, attempts=3, sleep=lambda s: None)
    assert calls["n"] == 3


def test_gate_bounds_concurrency_per_model() -> None:
    gate = ModelGate(limit=2)
    lock = threading.Lock()
    running: dict[str, int] = {"a": 0, "b": 0}
    peak: dict[str, int] = {"a": 0, "b": 0}

    def work(model: str) -> None:
        with gate.slot(model):
            with lock:
                running[model] += 1
                peak[model] = max(peak[model], running[model])
            time.sleep(0.02)
            with lock:
                running[model] -= 1

    threads = [threading.Thread(target=work, args=(m,)) for m in "ab" * 6]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak == {"a": 2, "b": 2}
