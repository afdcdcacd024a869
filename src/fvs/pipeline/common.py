"""Helpers every pipeline step shares: which model runs a role, provider records, briefs."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from fvs.billing import pricing
from fvs.jobs.executor import JobRef
from fvs.models import Asset, Project
from fvs.pipeline import briefs, state
from fvs.pipeline.context import Studio
from fvs.providers import registry
from fvs.providers.base import ImageSize, Plan


def runs_on(settings: dict[str, Any], role: str) -> str:
    return str(settings["executions"][role]["runs_on"])


def record_provider(project: Project, stage: str, role: str) -> None:
    project.providers = {**project.providers, stage: project.settings["executions"][role]}


def voice(
    studio: Studio, job: JobRef, settings: dict[str, Any], stage: str, plan: Plan, extra: str = ""
) -> briefs.Brief | None:
    if not settings["stage_voice_briefs_enabled"]:
        return None
    out = studio.storage.project_dir(job.project_id) / "briefs" / f"{stage}.wav"
    out.parent.mkdir(parents=True, exist_ok=True)
    return briefs.speak(
        studio.providers.narrator(runs_on(settings, "tts")),
        stage,
        briefs.brief_text(stage, plan, extra=extra),
        out,
    )


def record_brief(
    studio: Studio, session: Session, project: Project, brief: briefs.Brief | None
) -> None:
    if brief is None:
        return
    stage = f"voice:{brief.stage}"
    if brief.path is None:
        state.add_note(project, brief.note or "voice brief unavailable")
        state.release_stage(session, project, stage)
        return
    session.add(
        Asset(
            project_id=project.id,
            role="voice_brief",
            kind="audio",
            stage=brief.stage,
            name=brief.stage,
            filename=brief.path.name,
            content_type="audio/wav",
            path=studio.storage.relative(brief.path),
            size_bytes=brief.path.stat().st_size,
        )
    )
    state.settle_stage(session, project, stage, pricing.voice_brief_credits(project.settings))
    if "voice_brief" not in project.providers:
        record_provider(project, "voice_brief", "tts")


def image_size(settings: dict[str, Any]) -> ImageSize:
    width, height = registry.image_size(settings["image_resolution"], settings["aspect_ratio"])
    return ImageSize(width=width, height=height)
