"""Helpers every pipeline step shares: which model runs a role, provider records, briefs."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from fvs.billing import pricing
from fvs.jobs.service import JobRef
from fvs.models import Asset, Project
from fvs.options.resolved import ResolvedRender
from fvs.pipeline import briefs, state
from fvs.providers import registry
from fvs.providers.base import ImageSize, Plan
from fvs.studio import Studio


def runs_on(render: ResolvedRender, role: str) -> str:
    """The model id that really runs a role for this render."""
    return render.executions.of(role).runs_on


def record_provider(project: Project, stage: str, role: str) -> None:
    """Note on the status which model really rendered a stage."""
    execution = state.settings_of(project).executions.of(role)
    project.providers = {**project.providers, stage: execution.model_dump()}


def record_asset(
    studio: Studio,
    session: Session,
    project: Project,
    path: Path,
    *,
    role: str,
    kind: str,
    name: str,
    content_type: str,
    stage: str | None,
) -> None:
    """Record a file the pipeline made (a subject, a brief, a deliverable) as a project asset."""
    session.add(
        Asset(
            project_id=project.id,
            role=role,
            kind=kind,
            stage=stage,
            name=name,
            filename=path.name,
            content_type=content_type,
            path=studio.storage.relative(path),
            size_bytes=path.stat().st_size,
        )
    )


def voice(
    studio: Studio, job: JobRef, render: ResolvedRender, stage: str, plan: Plan, extra: str = ""
) -> briefs.Brief | None:
    """Speak the brief for a stage when the render asked for briefs; None otherwise."""
    if not render.stage_voice_briefs_enabled:
        return None
    out = studio.storage.project_dir(job.project_id) / "briefs" / f"{stage}.wav"
    out.parent.mkdir(parents=True, exist_ok=True)
    return briefs.speak(
        studio.providers.narrator(runs_on(render, "tts")),
        stage,
        briefs.brief_text(stage, plan, extra=extra),
        out,
    )


def record_brief(
    studio: Studio, session: Session, project: Project, brief: briefs.Brief | None
) -> None:
    """Record a spoken brief and settle its hold; an unspoken one returns its hold, with a note."""
    if brief is None:
        return
    stage = pricing.voice_stage(brief.stage)
    if brief.path is None:
        state.add_note(project, brief.note or "voice brief unavailable")
        state.release_stage(session, project, stage)
        return
    record_asset(
        studio,
        session,
        project,
        brief.path,
        role="voice_brief",
        kind="audio",
        name=brief.stage,
        content_type="audio/wav",
        stage=brief.stage,
    )
    render = state.settings_of(project)
    state.settle_stage(session, project, stage, pricing.voice_brief_credits(render))
    if "voice_brief" not in project.providers:
        record_provider(project, "voice_brief", "tts")


def image_size(render: ResolvedRender) -> ImageSize:
    """The pixel size of the render's keyframes."""
    width, height = registry.image_size(render.image_resolution, render.aspect_ratio)
    return ImageSize(width=width, height=height)
