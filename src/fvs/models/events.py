"""The durable log of what happened to each render, read by live event streams."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fvs.models.base import Base, UTCDateTime, utcnow


class ProjectEvent(Base):
    """One event of one render; `seq` counts from 1 per project, with no gaps."""

    __tablename__ = "project_events"
    __table_args__ = (UniqueConstraint("project_id", "seq", name="uq_project_events_project_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"))
    seq: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(48))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
