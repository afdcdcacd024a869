"""Storyboarding steps: subject references, one keyframe per shot, review, new takes."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.orm import Session

from fvs.billing import pricing
from fvs.jobs.executor import JobRef
from fvs.models import Asset, Project
from fvs.pipeline import repository, state
from fvs.pipeline.common import image_size, record_brief, record_provider, runs_on, voice
from fvs.pipeline.context import Studio
from fvs.providers.base import Plan


def references_step(studio: Studio, job: JobRef) -> None:
    snap = state.begin_step(studio, job)
    if snap is None:
        return
    settings, plan = snap["settings"], Plan.from_json(snap["plan"])
    painter = studio.providers.painter(runs_on(settings, "image"))
    folder = studio.storage.project_dir(job.project_id) / "subjects"
    folder.mkdir(exist_ok=True)
    painted = {}
    for subject in plan.bible.subjects[: pricing.MAX_SUBJECT_REFERENCES]:
        out = folder / f"{subject.key}.png"
        if not out.exists():  # painted before a crash: do not pay twice
            painter.paint_reference(subject, plan.bible, image_size(settings), out)
        painted[subject.key] = out

    def apply(session: Session, project: Project) -> None:
        known = {a.name for a in repository.assets(session, project.id, role="subject")}
        for key, path in painted.items():
            if key not in known:
                session.add(
                    Asset(
                        project_id=project.id,
                        role="subject",
                        kind="image",
                        stage="storyboarding",
                        name=key,
                        filename=path.name,
                        content_type="image/png",
                        path=studio.storage.relative(path),
                        size_bytes=path.stat().st_size,
                    )
                )
        for shot in plan.shots:
            state.enqueue(session, project, "keyframe", shot.index)

    state.commit_step(studio, job, apply)


def keyframe_step(studio: Studio, job: JobRef) -> None:
    snap = state.begin_step(studio, job)
    if snap is None:
        return
    settings, plan = snap["settings"], Plan.from_json(snap["plan"])
    shot = plan.shots[job.shot_index]
    out = (
        studio.storage.project_dir(job.project_id) / "keyframes" / f"shot-{shot.index + 1:02d}.png"
    )
    out.parent.mkdir(exist_ok=True)
    if not out.exists():
        folder = studio.storage.project_dir(job.project_id) / "subjects"
        refs = {s.key: folder / f"{s.key}.png" for s in plan.bible.subjects}
        studio.providers.painter(runs_on(settings, "image")).paint_keyframe(
            shot, plan.bible, image_size(settings), refs, out
        )

    def apply(session: Session, project: Project) -> None:
        repository.shot(session, project.id, shot.index).keyframe_path = studio.storage.relative(
            out
        )
        session.flush()
        shots = repository.shots(session, project.id)
        if all(s.keyframe_path for s in shots):
            finish_storyboard(studio, session, project, job, plan, len(shots))

    state.commit_step(studio, job, apply)


def finish_storyboard(
    studio: Studio, session: Session, project: Project, job: JobRef, plan: Plan, shot_count: int
) -> None:
    subjects = repository.count_assets(session, project.id, ("subject",))
    record_provider(project, "storyboarding", "image")
    state.settle_stage(
        session,
        project,
        "storyboarding",
        pricing.image_credits(project.settings, shot_count + subjects),
    )
    record_brief(
        studio, session, project, voice(studio, job, project.settings, "storyboarding", plan)
    )
    if project.settings.get("stage_behaviour") == "halt_for_review":
        # Cheap stills first: nothing is filmed (or paid for) until the user approves.
        project.current_stage = "halted_for_review"
        return
    start_filming(session, project, shot_count)


def start_filming(session: Session, project: Project, shot_count: int) -> None:
    """Move a render on to filming: one film job per shot."""
    project.current_stage = "filming"
    for index in range(shot_count):
        state.enqueue(session, project, "film", index)


def repaint_step(studio: Studio, job: JobRef) -> None:
    """Paint a new take of one shot's keyframe, asked for while the render awaits review."""
    snap = state.begin_step(studio, job)
    if snap is None:
        return
    settings, plan = snap["settings"], Plan.from_json(snap["plan"])
    with studio.db.read() as session:
        version = repository.shot(session, job.project_id, job.shot_index).keyframe_version + 1
    shot = replace(
        plan.shots[job.shot_index],
        image_prompt=f"{plan.shots[job.shot_index].image_prompt} (take {version})",
    )
    folder = studio.storage.project_dir(job.project_id)
    out = folder / "keyframes" / f"shot-{shot.index + 1:02d}-take-{version}.png"
    if not out.exists():
        refs = {s.key: folder / "subjects" / f"{s.key}.png" for s in plan.bible.subjects}
        studio.providers.painter(runs_on(settings, "image")).paint_keyframe(
            shot, plan.bible, image_size(settings), refs, out
        )

    def apply(session: Session, project: Project) -> None:
        row = repository.shot(session, project.id, shot.index)
        row.keyframe_path = studio.storage.relative(out)
        row.keyframe_version = version

    state.commit_step(studio, job, apply)
