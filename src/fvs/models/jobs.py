"""Durable jobs: the table is the truth; executors only lease rows from it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fvs.models.base import Base, UTCDateTime, utcnow

JOB_STATES = ("queued", "running", "done", "failed", "cancelled")


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        # Enqueueing the same step twice for a run is a no-op, so fan-in is race-free.
        UniqueConstraint("run_id", "step", "shot_index", name="uq_jobs_run_step_shot"),
        Index("ix_jobs_ready", "status", "run_after"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    run_id: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(24))
    shot_index: Mapped[int] = mapped_column(Integer, default=-1)  # -1: not a per-shot step
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    run_after: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Which Celery queue delivers it (media or provider), and when it was last sent there;
    # None until published, and again after a requeue (FVS_EXECUTOR=celery only).
    queue: Mapped[str] = mapped_column(String(16), default="media", server_default="media")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
