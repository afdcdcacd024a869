"""Helpers every pipeline step shares: which model runs a role, provider records, briefs."""

from __future__ import annotations

from sqlalchemy.orm import Session

from fvs.billing import pricing
from fvs.jobs.service import JobRef
from fvs.models import Asset, Project
from fvs.options.resolved import ResolvedRender
from fvs.pipeline import briefs, state
from fvs.providers import registry
from fvs.providers.base import ImageSize, Plan
from fvs.storage.base import project_key
from fvs.studio import Studio


def runs_on(render: ResolvedRender, role: str) -> str:
    """The model id that really runs a role for this render."""
    return render.executions.of(role).runs_on


def record_provider(project: Project, stage: str, role: str) -> None:
    """Note on the status which model really rendered a stage."""
    execution = state.settings_of(project).executions.of(role)
    project.providers = {**project.providers, stage: execution.model_dump()}


def record_asset(
    session: Session,
    project: Project,
    key: str,
    *,
    size_bytes: int,
    role: str,
    kind: str,
    name: str,
    content_type: str,
    stage: str | None,
) -> None:
    """Record a file the pipeline stored (a subject, a brief, a deliverable) as a project asset."""
    session.add(
        Asset(
            project_id=project.id,
            role=role,
            kind=kind,
            stage=stage,
            name=name,
            filename=key.rsplit("/", 1)[-1],
            content_type=content_type,
            path=key,
            size_bytes=size_bytes,
        )
    )


def voice(
    studio: Studio, job: JobRef, render: ResolvedRender, stage: str, plan: Plan, extra: str = ""
) -> briefs.Brief | None:
    """Speak and store the brief for a stage when the render asked for briefs; None otherwise."""
    if not render.stage_voice_briefs_enabled:
        return None
    key = project_key(job.project_id, f"briefs/{stage}.wav")
    with studio.storage.workspace(job.project_id) as workspace:
        return briefs.speak(
            studio.providers.narrator(runs_on(render, "tts")),
            stage,
            briefs.brief_text(stage, plan, extra=extra),
            out_path=workspace.output(key, "audio/wav"),
            key=key,
        )


def record_brief(session: Session, project: Project, brief: briefs.Brief | None) -> None:
    """Record a spoken brief and settle its hold; an unspoken one returns its hold, with a note."""
    if brief is None:
        return
    stage = pricing.voice_stage(brief.stage)
    if brief.key is None:
        state.add_note(project, brief.note or "voice brief unavailable")
        state.release_stage(session, project, stage)
        return
    record_asset(
        session,
        project,
        brief.key,
        size_bytes=brief.size_bytes,
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
