"""Projects (renders), their shots, runs and files."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fvs.models.base import Base, UTCDateTime, new_id, utcnow
from fvs.stages import Stage, Status


class Project(Base):
    __tablename__ = "projects"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("proj"))
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # The request as resolved at submit: request fields over account defaults over ours.
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=Status.QUEUED)  # a Status
    current_stage: Mapped[str] = mapped_column(String(24), default=Stage.INPUT)  # a Stage
    last_error: Mapped[str | None] = mapped_column(Text)
    plan: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Music mode's track: {"source", "track_key", "analysis", "end_seconds"}; null otherwise.
    music: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Which provider and model produced each stage: {"filming": {"model": .., "provider": ..}}.
    providers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    notes: Mapped[list[str]] = mapped_column(JSON, default=list)
    active_run_id: Mapped[str | None] = mapped_column(String(32))
    final_path: Mapped[str | None] = mapped_column(String(500))
    contact_sheet_path: Mapped[str | None] = mapped_column(String(500))
    # What was held at submit; what was spent is summed from the ledger when asked.
    credits_reserved: Mapped[int] = mapped_column(Integer, default=0)
    # The last event's seq (fvs.events): bumped in the transaction that writes the event, so
    # the row lock orders two workers' events and they commit in seq order.
    event_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Shot(Base):
    __tablename__ = "shots"
    __table_args__ = (UniqueConstraint("project_id", "index", name="uq_shots_project_index"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    index: Mapped[int] = mapped_column(Integer)
    duration_seconds: Mapped[int] = mapped_column(Integer)
    camera_move: Mapped[str] = mapped_column(String(24))
    text: Mapped[str] = mapped_column(Text)
    keyframe_path: Mapped[str | None] = mapped_column(String(500))
    keyframe_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    clip_path: Mapped[str | None] = mapped_column(String(500))
    # A remote clip in progress: saved before the first poll, so a restart polls, not pays.
    operation_name: Mapped[str | None] = mapped_column(String(500))
    operation_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    safety_retries: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    notes: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")


class Run(Base):
    __tablename__ = "runs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("run"))
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="running")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


_asset_clock = threading.Lock()
_last_asset_time = [datetime.min.replace(tzinfo=UTC)]


def _asset_created_at() -> datetime:
    """utcnow, strictly after the last asset's: uploads added in one flush keep their order."""
    with _asset_clock:
        now = max(utcnow(), _last_asset_time[0] + timedelta(microseconds=1))
        _last_asset_time[0] = now
        return now


class Asset(Base):
    """A file of a project: an upload, a subject reference, a voice brief, a deliverable."""

    __tablename__ = "assets"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("asset"))
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    role: Mapped[str] = mapped_column(String(24))  # upload | subject | voice_brief | final | ...
    kind: Mapped[str] = mapped_column(String(16))  # image | audio | text | video
    stage: Mapped[str | None] = mapped_column(String(24))
    name: Mapped[str] = mapped_column(String(200))  # multipart part name or subject key
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    path: Mapped[str] = mapped_column(String(500))  # relative to the media root
    size_bytes: Mapped[int] = mapped_column(Integer)
    # For an upload, once planned: how the plan used it ("subject reference for Mara",
    # "style palette"); None when unused, and then a note on the project says why.
    used_as: Mapped[str | None] = mapped_column(String(200))
    # Uploads are read back by created_at in the order they were sent (planning relies on it).
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_asset_created_at)
