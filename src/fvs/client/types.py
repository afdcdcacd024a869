"""What the client returns: typed views of the API's JSON bodies.

The models name the fields a program needs and keep every other field the studio sends
(`extra="allow"`), so a newer studio never breaks an older client: read an extra field
as an attribute, or the whole body with `.model_dump()`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict

TERMINAL = ("completed", "failed", "cancelled")


class _Body(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class Shot(_Body):
    number: int
    text: str = ""
    duration_seconds: int = 0
    state: str = "planned"  # planned | keyframed | filmed
    keyframe_url: str | None = None
    clip_url: str | None = None


class RenderStatus(_Body):
    """GET /api/agent/renders/{project_id}: where a render stands."""

    project_id: str
    name: str
    status: str  # queued | running | completed | failed | cancelled
    current_stage: str  # input | planning | ... | halted_for_review | completed
    is_running: bool = False
    final_video_url: str | None = None
    last_error: str | None = None
    status_url: str
    cancel_url: str | None = None
    needs_approval: bool = False
    approve_url: str | None = None
    progress: float = 0.0
    credits_reserved: int = 0
    credits_settled: int = 0
    stage_providers: dict[str, Any] = {}
    shots: list[Shot] = []

    @property
    def finished(self) -> bool:
        """Completed, failed or cancelled: it will not change again."""
        return self.status in TERMINAL

    @property
    def halted(self) -> bool:
        """Halted for review: it waits for approve() before filming."""
        return self.needs_approval or self.current_stage == "halted_for_review"


class Estimate(_Body):
    """POST /api/agent/renders/estimate: the resolved settings and what they would cost."""

    settings: dict[str, Any]
    planned_durations: list[int] = []
    credits_estimated: int
    credits_breakdown: dict[str, int] = {}
    available_credits: int
    affordable: bool


class Wallet(_Body):
    """GET /api/agent/wallet: credits available to spend, held by renders, and posted."""

    available_credits: int
    held_credits: int
    balance_credits: int


@dataclass(frozen=True)
class Progress:
    """One step of a render as wait() saw it, handed to `on_progress`.

    `kind` is the event's name from the live stream (e.g. "render.stage_changed") or
    "render.polled" for a status poll; `data` is the event's JSON or the polled body;
    `render` is the full status when it was polled (None for a streamed event).
    """

    kind: str
    status: str
    stage: str
    data: dict[str, Any] = field(default_factory=dict)
    render: RenderStatus | None = None

    @classmethod
    def polled(cls, status: RenderStatus) -> Progress:
        return cls(
            "render.polled", status.status, status.current_stage, status.model_dump(), status
        )
