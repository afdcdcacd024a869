"""The one door to google-genai: client construction, retries and per-model concurrency.

Every Google provider gets its client from `make_client` and wraps its calls in
`with_retries` and a `ModelGate`, so quota errors and concurrency are handled the
same way for every model.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from google import genai
from google.auth.credentials import Credentials
from google.genai import errors, types

T = TypeVar("T")

DEFAULT_TIMEOUT_S = 180.0  # a 4K image can take a minute; never wait forever
DEFAULT_MODEL_CONCURRENCY = 4
MAX_RETRY_DELAY_S = 32.0


class GoogleProviderError(RuntimeError):
    """A Google model answered, but not with something the studio can use."""


@dataclass(frozen=True)
class GoogleConfig:
    project: str | None = None
    location: str = "us-central1"
    api_key: str | None = None
    base_url: str | None = None  # a test fake or a proxy; None for Google's own endpoint
    timeout_s: float = DEFAULT_TIMEOUT_S

    @property
    def configured(self) -> bool:
        """True when there is a project or an API key to call Google with."""
        return bool(self.project or self.api_key)


def make_client(config: GoogleConfig, *, credentials: Credentials | None = None) -> genai.Client:
    """A Vertex AI client: project mode when a project is set, else express mode (API key).

    Project mode uses `credentials` when given, else Application Default Credentials.
    """
    options = types.HttpOptions(timeout=int(config.timeout_s * 1000))
    if config.base_url:
        options.base_url = config.base_url
    # Veo and Imagen run only in Vertex mode in google-genai 3.x, so always ask for it.
    if config.project:
        return genai.Client(
            vertexai=True,
            project=config.project,
            location=config.location,
            credentials=credentials,
            http_options=options,
        )
    if config.api_key:
        return genai.Client(vertexai=True, api_key=config.api_key, http_options=options)
    raise GoogleProviderError("Google models need a project or an API key; neither is set")


def is_transient(exc: BaseException) -> bool:
    """True for errors worth retrying: quota (429) and server-side failures (5xx)."""
    if not isinstance(exc, errors.APIError):
        return False
    code = exc.code or 0
    return code == 429 or code >= 500


def with_retries(
    fn: Callable[[], T],
    *,
    attempts: int = 5,
    base_delay: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call fn, retrying quota and server errors with exponential backoff and full jitter."""
    for attempt in range(attempts):
        try:
            return fn()
        except errors.APIError as exc:
            if not is_transient(exc) or attempt == attempts - 1:
                raise
            # Full jitter spreads retries of many workers hitting the same quota.
            ceiling = min(MAX_RETRY_DELAY_S, base_delay * 2**attempt)
            sleep(random.uniform(0, ceiling))
    raise AssertionError("unreachable: the last attempt returns or raises")


class ModelGate:
    """At most `limit` calls at once per model id, across all threads of this process."""

    def __init__(self, limit: int = DEFAULT_MODEL_CONCURRENCY) -> None:
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        self.limit = limit
        self._lock = threading.Lock()
        self._semaphores: dict[str, threading.BoundedSemaphore] = {}

    def _semaphore(self, model_id: str) -> threading.BoundedSemaphore:
        with self._lock:
            if model_id not in self._semaphores:
                self._semaphores[model_id] = threading.BoundedSemaphore(self.limit)
            return self._semaphores[model_id]

    @contextmanager
    def slot(self, model_id: str) -> Iterator[None]:
        """Hold one of the model's slots for the duration of the block."""
        semaphore = self._semaphore(model_id)
        with semaphore:
            yield

    def call(self, model_id: str, fn: Callable[[], T]) -> T:
        """Run fn while holding one of the model's slots."""
        with self.slot(model_id):
            return fn()


# Shared by every Google provider in this process, so the bound holds per model id.
SHARED_GATE = ModelGate()


def call_model(
    model_id: str,
    fn: Callable[[], T],
    *,
    gate: ModelGate,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call a model through its gate, retrying transient errors; the backoff holds no slot."""
    return with_retries(lambda: gate.call(model_id, fn), sleep=sleep)


class GoogleModel:
    """What every Google provider holds: its model id, the shared client, a gate, retries."""

    def __init__(
        self,
        model_id: str,
        client: genai.Client,
        *,
        gate: ModelGate = SHARED_GATE,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.model_id = model_id
        self.client = client
        self.gate = gate
        self.sleep = sleep

    def call(self, fn: Callable[[], T]) -> T:
        """One model call under this model's gate, retried on 429 and 5xx."""
        return call_model(self.model_id, fn, gate=self.gate, sleep=self.sleep)
