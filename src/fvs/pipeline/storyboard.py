"""Storyboarding steps: subject references, one keyframe per shot, review, new takes."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from fvs.billing import pricing
from fvs.jobs.service import JobRef
from fvs.media.images import load_rgba
from fvs.models import Project
from fvs.options.resolved import ResolvedRender
from fvs.pipeline import repository, state
from fvs.pipeline.common import (
    image_size,
    record_asset,
    record_brief,
    record_provider,
    runs_on,
    voice,
)
from fvs.providers.base import MAX_SUBJECTS, Plan, ShotPlan
from fvs.stages import Stage, Step
from fvs.storage.base import project_key
from fvs.studio import Studio


def references_step(studio: Studio, job: JobRef) -> None:
    """Paint one reference image per recurring subject, then queue every keyframe."""
    begun = state.begin_step(studio, job)
    if begun is None:
        return
    plan = begun.plan
    painted = _paint_references(studio, job, begun.render, plan)

    def apply(session: Session, project: Project) -> None:
        _record_references(session, project, painted)
        for shot in plan.shots:
            state.enqueue(session, project, Step.KEYFRAME, shot.index)

    state.commit_step(studio, job, apply)


def _paint_references(
    studio: Studio, job: JobRef, render: ResolvedRender, plan: Plan
) -> dict[str, tuple[str, int]]:
    """Paint and store each subject's reference image; its key and size, by subject key."""
    painter = studio.providers.painter(runs_on(render, "image"))
    painted = {}
    for subject in plan.bible.subjects[:MAX_SUBJECTS]:
        key = project_key(job.project_id, f"subjects/{subject.key}.png")
        size = studio.storage.size(key)
        if size is None:  # painted before a crash: do not pay twice
            # One workspace a subject: each reference is stored as soon as it is painted.
            with studio.storage.workspace(job.project_id) as workspace:
                out = workspace.output(key, "image/png")
                if subject.reference:  # the caller's own picture of this subject
                    _as_png(workspace.input(subject.reference), out)
                else:
                    painter.paint_reference(subject, plan.bible, image_size(render), out)
                size = out.stat().st_size
        painted[subject.key] = (key, size)
    return painted


def _as_png(source: Path, out: Path) -> None:
    """Store an uploaded reference image as the subject's PNG reference."""
    load_rgba(source).save(out, format="PNG")


def _record_references(
    session: Session, project: Project, painted: dict[str, tuple[str, int]]
) -> None:
    """Record each painted reference as a subject asset, unless a retried step already did."""
    known = {a.name for a in repository.assets(session, project.id, role="subject")}
    for name, (key, size) in painted.items():
        if name not in known:
            record_asset(
                session,
                project,
                key,
                size_bytes=size,
                role="subject",
                kind="image",
                name=name,
                content_type="image/png",
                stage=Stage.STORYBOARDING,
            )


def keyframe_key(project_id: str, shot_index: int, take: int = 1) -> str:
    """Where a shot's keyframe is stored; takes after the first carry their number."""
    suffix = f"-take-{take}" if take > 1 else ""
    return project_key(project_id, f"keyframes/shot-{shot_index + 1:02d}{suffix}.png")


def _paint_keyframe(
    studio: Studio, job: JobRef, render: ResolvedRender, plan: Plan, shot: ShotPlan, key: str
) -> None:
    """Paint a shot's keyframe with its subjects' references attached, unless already stored."""
    if studio.storage.size(key) is not None:
        return
    with studio.db.read() as session:
        subjects = repository.assets(session, job.project_id, role="subject")
        references = {a.name: a.path for a in subjects if a.name in shot.subject_keys}
    with studio.storage.workspace(job.project_id) as workspace:
        refs = {name: workspace.input(ref) for name, ref in references.items()}
        studio.providers.painter(runs_on(render, "image")).paint_keyframe(
            shot, plan.bible, image_size(render), refs, workspace.output(key, "image/png")
        )


def keyframe_step(studio: Studio, job: JobRef) -> None:
    """Paint one shot's keyframe; the last one finishes the storyboard."""
    begun = state.begin_step(studio, job)
    if begun is None:
        return
    plan = begun.plan
    shot = plan.shots[job.shot_index]
    key = keyframe_key(job.project_id, shot.index)
    _paint_keyframe(studio, job, begun.render, plan, shot, key)

    def apply(session: Session, project: Project) -> None:
        row = repository.shot(session, project.id, shot.index)
        row.keyframe_path = key
        session.flush()
        shots = repository.shots(session, project.id)
        if all(s.keyframe_path for s in shots):
            finish_storyboard(studio, session, project, job, plan, len(shots))

    state.commit_step(studio, job, apply)


def finish_storyboard(
    studio: Studio, session: Session, project: Project, job: JobRef, plan: Plan, shot_count: int
) -> None:
    """Settle the storyboard's images, then halt for review or go on to filming."""
    render = state.settings_of(project)
    subjects = repository.count_assets(session, project.id, ("subject",))
    record_provider(project, Stage.STORYBOARDING, "image")
    credits = pricing.image_credits(render, shot_count + subjects)
    state.settle_stage(session, project, Stage.STORYBOARDING, credits)
    record_brief(session, project, voice(studio, job, render, Stage.STORYBOARDING, plan))
    if render.halts_for_review:
        # Cheap stills first: nothing is filmed (or paid for) until the user approves.
        project.current_stage = Stage.HALTED_FOR_REVIEW
        return
    start_filming(session, project, shot_count)


def start_filming(session: Session, project: Project, shot_count: int) -> None:
    """Move a render on to filming: one film job per shot."""
    project.current_stage = Stage.FILMING
    for index in range(shot_count):
        state.enqueue(session, project, Step.FILM, index)


def repaint_step(studio: Studio, job: JobRef) -> None:
    """Paint a new take of one shot's keyframe, asked for while the render awaits review."""
    begun = state.begin_step(studio, job)
    if begun is None:
        return
    plan = begun.plan
    with studio.db.read() as session:
        version = repository.shot(session, job.project_id, job.shot_index).keyframe_version + 1
    planned = plan.shots[job.shot_index]
    shot = planned.model_copy(update={"image_prompt": f"{planned.image_prompt} (take {version})"})
    key = keyframe_key(job.project_id, shot.index, take=version)
    _paint_keyframe(studio, job, begun.render, plan, shot, key)

    def apply(session: Session, project: Project) -> None:
        row = repository.shot(session, project.id, shot.index)
        row.keyframe_path = key
        row.keyframe_version = version

    state.commit_step(studio, job, apply)
