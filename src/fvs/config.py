"""Settings: every knob in one place, read from FVS_* environment variables."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal

import limits
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(spec: str) -> tuple[Network, ...]:
    """The comma-separated IPs and CIDRs of FVS_TRUSTED_PROXIES; ValueError names a bad one."""
    networks = []
    for item in (part.strip() for part in spec.split(",")):
        if item:
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or CIDR block") from None
    return tuple(networks)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FVS_", extra="ignore")

    data_dir: Path = Field(default=Path(".fvs-data"), description="Database, media and secret.")
    database_url: str | None = Field(default=None, description="Default: SQLite in data_dir.")
    storage_url: str | None = Field(
        default=None,
        description="Media: file:///abs/path or s3://bucket/prefix; default: data_dir/media.",
    )
    s3_endpoint_url: str | None = Field(
        default=None, description="An S3-compatible endpoint (MinIO, R2, GCS, moto)."
    )
    public_base_url: str | None = Field(
        default=None, description="Origin for status/cancel/media URLs; else from the request."
    )
    trusted_proxies: str = Field(
        default="",
        description="IPs/CIDRs whose X-Forwarded-For/-Proto/-Host count; empty trusts none.",
    )
    secret_key: str | None = Field(
        default=None, description="HMAC secret for keys and URLs; else generated in data_dir."
    )
    executor: Literal["threads", "celery", "none"] = Field(
        default="threads", description="threads (in-process), celery (via a broker) or none."
    )
    broker_url: str | None = Field(
        default=None, description="Celery broker (FVS_EXECUTOR=celery): amqp://... or redis://..."
    )
    queue_prefix: str = Field(
        default="",
        pattern=r"^[A-Za-z0-9_.:-]*$",
        description="Prefix of the Celery queue names: studios sharing one broker.",
    )
    relay_seconds: float = Field(
        default=120.0, gt=0, description="A job published this long ago and not begun is resent."
    )
    worker_threads: int = Field(default=3, ge=1, le=64)
    shot_concurrency: int = Field(default=3, ge=1, le=64, description="Per-shot steps at once.")
    job_lease_seconds: float = Field(default=30.0, gt=0)
    job_max_attempts: int = Field(default=3, ge=1)
    job_retry_base_seconds: float = Field(default=2.0, ge=0, description="Backoff base.")
    signed_url_ttl_seconds: int = Field(default=24 * 3600, ge=60, le=7 * 24 * 3600)
    max_wait_seconds: int = Field(default=300, ge=0, le=3600)
    serve_workers: int = Field(
        default_factory=lambda: max(1, min(os.cpu_count() or 1, 8)),
        ge=1,
        le=64,
        description="`fvs serve` processes; default: the CPU count (at most 8).",
    )
    key_cache_seconds: float = Field(
        default=2.0,
        ge=0,
        le=60,
        description="A verified agent key is trusted this long per process; 0: check each time.",
    )
    status_min_interval_ms: int = Field(
        default=100, ge=0, description="A client polling faster is paced, never refused."
    )
    events_keepalive_seconds: float = Field(
        default=15.0, gt=0, description="Keep-alive comment interval on live event streams."
    )
    events_poll_ms: int = Field(
        default=400, ge=20, le=10_000, description="How often a server reads new render events."
    )
    max_request_json_bytes: int = Field(default=256 * 1024)
    max_upload_bytes: int = Field(default=25 * 1024 * 1024, description="Per uploaded file.")
    max_uploads: int = Field(default=8)
    max_anonymous_body_bytes: int = Field(
        default=64 * 1024, ge=1024, description="Body cap before a key or session is shown."
    )
    max_signed_in_body_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="Body cap of signed-in routes but render submit."
    )
    max_image_pixels: int = Field(
        default=40_000_000, ge=1, description="Largest image (width x height) decoded anywhere."
    )
    # Password guessing: sliding windows per account and per client address.
    rate_limit_url: str | None = Field(
        default=None, description="Shared counts: redis://...; default: in this process's memory."
    )
    sign_in_rate_per_account: str = Field(
        default="10/minute", description="Sign-in and sign-up attempts per email."
    )
    sign_in_rate_per_address: str = Field(
        default="30/minute", description="Sign-in and sign-up attempts per client address."
    )
    password_hash_concurrency: int = Field(
        default=min(4, 2 * (os.cpu_count() or 1)), ge=1, description="argon2 hashes at once."
    )
    password_hash_wait_seconds: float = Field(
        default=2.0, ge=0, description="How long a sign-in waits for a hash slot before a 503."
    )
    hold_timeout_seconds: int = Field(default=6 * 3600, description="Deadline of render holds.")
    signup_credits: int = Field(
        default=0, ge=0, description="Credits granted once to each account that signs up."
    )
    topup_url: str | None = Field(
        default=None,
        description="A page where people add credits; a 402 points there instead of at the "
        "operator's `fvs credits grant`.",
    )
    allow_standins: bool = Field(default=True, description="Render unconfigured models locally.")
    # Google (Vertex AI). google-genai 3.x runs Veo and Imagen only in Vertex mode.
    google_project: str | None = Field(default=None, description="Vertex project id.")
    google_location: str = Field(default="us-central1")
    google_api_key: str | None = Field(default=None, description="Vertex express-mode key.")
    google_base_url: str | None = Field(default=None, description="A proxy or a test fake.")
    google_max_concurrent_per_model: int = Field(default=4, ge=1)
    veo_poll_seconds: float = Field(default=10.0, gt=0, description="Between operation polls.")
    veo_deadline_seconds: float = Field(default=900.0, gt=0, description="Give up on a clip.")
    veo_safety_retries: int = Field(default=2, ge=0, description="Rewrites after a filter.")
    # Webhooks (Standard Webhooks): who may be called, and how hard we try.
    webhook_allow_private: bool = Field(
        default=False,
        description="Allow http and private or loopback hosts (tests and local use only).",
    )
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60, description="Per attempt.")
    webhook_retry_base_seconds: float = Field(
        default=5.0, ge=0, description="Backoff base: about base * 2^n with jitter."
    )
    webhook_retry_hours: float = Field(default=24.0, gt=0, description="Retry an event this long.")
    webhook_disable_after_days: float = Field(
        default=5.0, gt=0, description="An endpoint failing this long is disabled."
    )
    webhook_lease_seconds: float = Field(
        default=60.0, gt=0, description="A claimed delivery is another sender's after this."
    )
    webhook_poll_seconds: float = Field(
        default=1.0, gt=0, description="How often the sender looks for due deliveries."
    )
    webhook_keep_days: float = Field(
        default=30.0, ge=2, description="Events, deliveries and their log are kept this long."
    )
    webhook_low_balance_credits: int = Field(
        default=100, ge=0, description="Default wallet.low_balance threshold of an account."
    )
    # Operating it.
    auto_migrate: bool = Field(
        default=True, description="Migrate at start (under a lock); false: refuse until migrated."
    )
    metrics_token: str | None = Field(default=None, description="Bearer token for /metrics.")
    log_format: Literal["text", "json"] = Field(default="text", description="text or json.")

    @field_validator("sign_in_rate_per_account", "sign_in_rate_per_address")
    @classmethod
    def _rate(cls, value: str) -> str:
        limits.parse(value)  # "10/minute", "100 per hour": a typo stops the studio at start
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_parse(cls, value: str) -> str:
        parse_networks(value)  # a typo stops the server at start, not a proxy at request time
        return value

    @cached_property
    def trusted_proxy_networks(self) -> tuple[Network, ...]:
        return parse_networks(self.trusted_proxies)

    @property
    def google_configured(self) -> bool:
        return bool(self.google_project or self.google_api_key)

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'fvs.db').resolve()}"

    @cached_property
    def media_dir(self) -> Path:
        return (self.data_dir / "media").resolve()

    @cached_property
    def resolved_secret(self) -> bytes:
        """The server secret: FVS_SECRET_KEY, else one generated once and kept in data_dir."""
        if self.secret_key:
            return self.secret_key.encode()
        path = self.data_dir / "secret.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"secret.{secrets.token_hex(4)}.tmp")
            tmp.write_text(secrets.token_hex(32))
            tmp.chmod(0o600)
            # link() refuses to overwrite: two processes starting at once agree on one secret.
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
            tmp.unlink()
        return path.read_text().strip().encode()
