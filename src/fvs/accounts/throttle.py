"""Password guessing: sliding-window limits per account and per address, and few hashes at once.

Every sign-in or sign-up costs an argon2 hash (64 MiB, ~0.15 s). Without limits a
stranger may guess passwords as fast as the CPU hashes, and a flood of attempts
holds a gigabyte of hash memory. Counts live in this process's memory, or in
Redis (FVS_RATE_LIMIT_URL) so every server behind one address shares them.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import limits
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from fvs.config import Settings
from fvs.errors import AppError

NAMESPACE = "fvs-sign-in"


class RateLimited(AppError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, retry_after_seconds=retry_after)
        self.headers = {"Retry-After": str(retry_after)}


class HashingBusy(AppError):
    status_code = 503
    code = "service_busy"

    def __init__(self, *, retry_after: int) -> None:
        message = "too many sign-ins at once; retry shortly"
        super().__init__(message, retry_after_seconds=retry_after)
        self.headers = {"Retry-After": str(retry_after)}


@dataclass
class SignInGuard:
    """One studio's limits on password attempts; app.py builds one per app."""

    limiter: MovingWindowRateLimiter
    per_account: limits.RateLimitItem
    per_address: limits.RateLimitItem
    slots: threading.BoundedSemaphore
    wait_seconds: float

    @classmethod
    def from_settings(cls, settings: Settings) -> SignInGuard:
        storage = storage_from_string(settings.rate_limit_url or "memory://")
        return cls(
            limiter=MovingWindowRateLimiter(storage),
            per_account=limits.parse(settings.sign_in_rate_per_account),
            per_address=limits.parse(settings.sign_in_rate_per_address),
            slots=threading.BoundedSemaphore(settings.password_hash_concurrency),
            wait_seconds=settings.password_hash_wait_seconds,
        )

    def count_attempt(self, *, email: str, address: str) -> None:
        """Count one password attempt, or raise RateLimited once either window is full."""
        # Keyed by what was typed (bounded, lower case): a malformed email is still a guess.
        account = email.strip().lower()[:320]
        for item, kind, who in (
            (self.per_address, "address", address),
            (self.per_account, "account", account),
        ):
            if not self.limiter.hit(item, NAMESPACE, kind, who):
                raise RateLimited(
                    f"too many sign-in attempts for this {kind}; retry later",
                    retry_after=self._retry_after(item, kind, who),
                )

    @contextmanager
    def hashing_slot(self) -> Iterator[None]:
        """Hold one of the few argon2 slots; 503 if none frees up within the wait."""
        if not self.slots.acquire(timeout=self.wait_seconds):
            raise HashingBusy(retry_after=max(1, math.ceil(self.wait_seconds)))
        try:
            yield
        finally:
            self.slots.release()

    def _retry_after(self, item: limits.RateLimitItem, kind: str, who: str) -> int:
        stats = self.limiter.get_window_stats(item, NAMESPACE, kind, who)
        return max(1, math.ceil(stats.reset_time - time.time()))
