"""Storyboarding steps: subject references, one keyframe per shot, review, new takes."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from fvs.billing import pricing
from fvs.jobs.service import JobRef
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
from fvs.studio import Studio


def references_step(studio: Studio, job: JobRef) -> None:
    """Paint one reference image per recurring subject, then queue every keyframe."""
    begun = state.begin_step(studio, job)
    if begun is None:
        return
    plan = begun.plan
    painted = _paint_references(studio, job, begun.render, plan)

    def apply(session: Session, project: Project) -> None:
        _record_references(studio, session, project, painted)
        for shot in plan.shots:
            state.enqueue(session, project, Step.KEYFRAME, shot.index)

    state.commit_step(studio, job, apply)


def _paint_references(
    studio: Studio, job: JobRef, render: ResolvedRender, plan: Plan
) -> dict[str, Path]:
    """Paint each subject's reference image; the path of each, by subject key."""
    painter = studio.providers.painter(runs_on(render, "image"))
    folder = studio.storage.project_dir(job.project_id) / "subjects"
    folder.mkdir(exist_ok=True)
    painted = {}
    for subject in plan.bible.subjects[:MAX_SUBJECTS]:
        out = folder / f"{subject.key}.png"
        if not out.exists():  # painted before a crash: do not pay twice
            painter.paint_reference(subject, plan.bible, image_size(render), out)
        painted[subject.key] = out
    return painted


def _record_references(
    studio: Studio, session: Session, project: Project, painted: dict[str, Path]
) -> None:
    """Record each painted reference as a subject asset, unless a retried step already did."""
    known = {a.name for a in repository.assets(session, project.id, role="subject")}
    for key, path in painted.items():
        if key not in known:
            record_asset(
                studio,
                session,
                project,
                path,
                role="subject",
                kind="image",
                name=key,
                content_type="image/png",
                stage=Stage.STORYBOARDING,
            )


def _paint_keyframe(
    studio: Studio, job: JobRef, render: ResolvedRender, plan: Plan, shot: ShotPlan, out: Path
) -> None:
    """Paint a shot's keyframe with every subject's reference attached, unless already painted."""
    if out.exists():
        return
    folder = studio.storage.project_dir(job.project_id) / "subjects"
    refs = {s.key: folder / f"{s.key}.png" for s in plan.bible.subjects}
    studio.providers.painter(runs_on(render, "image")).paint_keyframe(
        shot, plan.bible, image_size(render), refs, out
    )


def keyframe_step(studio: Studio, job: JobRef) -> None:
    """Paint one shot's keyframe; the last one finishes the storyboard."""
    begun = state.begin_step(studio, job)
    if begun is None:
        return
    plan = begun.plan
    shot = plan.shots[job.shot_index]
    folder = studio.storage.project_dir(job.project_id) / "keyframes"
    out = folder / f"shot-{shot.index + 1:02d}.png"
    out.parent.mkdir(exist_ok=True)
    _paint_keyframe(studio, job, begun.render, plan, shot, out)

    def apply(session: Session, project: Project) -> None:
        row = repository.shot(session, project.id, shot.index)
        row.keyframe_path = studio.storage.relative(out)
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
    record_brief(studio, session, project, voice(studio, job, render, Stage.STORYBOARDING, plan))
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
    folder = studio.storage.project_dir(job.project_id)
    out = folder / "keyframes" / f"shot-{shot.index + 1:02d}-take-{version}.png"
    _paint_keyframe(studio, job, begun.render, plan, shot, out)

    def apply(session: Session, project: Project) -> None:
        row = repository.shot(session, project.id, shot.index)
        row.keyframe_path = studio.storage.relative(out)
        row.keyframe_version = version

    state.commit_step(studio, job, apply)
