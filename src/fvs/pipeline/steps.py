"""The stage graph of a scene render: plan -> references -> keyframe x N -> film x N -> produce.

Each step does its slow work outside any transaction, writes its files
atomically, then records them in one transaction that also settles the
stage's credits and enqueues what comes next. Re-running a step after a
crash finds its outputs recorded and does no paid work twice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from fvs.billing import pricing
from fvs.jobs.executor import JobRef
from fvs.media.concat import join_clips
from fvs.media.contact_sheet import make_contact_sheet
from fvs.models import Asset, Project, Shot
from fvs.pipeline import remote_film, repository, state, storyboard
from fvs.pipeline.common import record_brief, record_provider, runs_on, voice
from fvs.pipeline.context import Studio
from fvs.providers import registry
from fvs.providers.base import ClipSpec, Plan, PlanRequest, RemoteVideoFilmer


class StepFailed(Exception):
    """A step failed in a way retrying cannot fix."""


def plan_step(studio: Studio, job: JobRef) -> None:
    snap = state.begin_step(studio, job, stage="planning")
    if snap is None:
        return
    settings = snap["settings"]
    video = registry.find(settings["video_model"])
    assert video is not None
    with studio.db.read() as session:
        refs = tuple(
            studio.storage.path(a.path)
            for a in repository.assets(session, job.project_id, role="upload")
            if a.kind == "image"
        )
    plan = studio.providers.planner(runs_on(settings, "planner")).plan(
        PlanRequest(
            screenplay=settings["screenplay"],
            instructions=settings["instructions"],
            shot_count=settings["shot_count"],
            target_seconds=settings["scene_target_duration_seconds"],
            allowed_durations=video.durations,
            reference_images=refs,
        )
    )
    durations = [s.duration_seconds for s in plan.shots]
    if len(durations) != settings["shot_count"] or any(d not in video.durations for d in durations):
        raise StepFailed(f"the planner returned durations {durations}, outside {video.durations}")
    brief = voice(studio, job, settings, "planning", plan)

    def apply(session: Session, project: Project) -> None:
        project.plan = plan.to_json()
        for shot in plan.shots:
            session.add(
                Shot(
                    project_id=project.id,
                    index=shot.index,
                    text=shot.text,
                    duration_seconds=shot.duration_seconds,
                    camera_move=shot.camera_move,
                )
            )
        record_provider(project, "planning", "planner")
        state.settle_stage(session, project, "planning", pricing.planning_credits(settings))
        record_brief(studio, session, project, brief)
        project.current_stage = "storyboarding"
        state.enqueue(session, project, "references")

    state.commit_step(studio, job, apply)


def _film(
    studio: Studio, job: JobRef, settings: dict[str, Any], plan: Plan, folder: Path, out: Path
) -> bool:
    """Film one shot into `out`; False while a remote model is still working on it."""
    shot = plan.shots[job.shot_index]
    width, height = registry.video_size(settings["video_resolution"], settings["aspect_ratio"])
    spec = ClipSpec(
        width=width,
        height=height,
        fps=24,
        duration_seconds=shot.duration_seconds,
        seed=(settings.get("seed") or 0) + shot.index,
        audio=True,
    )
    with studio.db.read() as session:
        keyframe = studio.storage.path(
            str(repository.shot(session, job.project_id, shot.index).keyframe_path)
        )
    model_id = runs_on(settings, "video")
    filmer = studio.providers.filmer(model_id)
    if isinstance(filmer, RemoteVideoFilmer):
        model = registry.find(model_id)
        return remote_film.film_remote(
            studio,
            job,
            filmer=filmer,
            model_id=model_id,
            shot=shot,
            bible=plan.bible,
            spec=spec,
            keyframe=keyframe if model and model.image_to_video else None,
            out=out,
        )
    filmer.film(shot, keyframe, spec, out)
    return True


def film_step(studio: Studio, job: JobRef) -> None:
    snap = state.begin_step(studio, job)
    if snap is None:
        return
    settings, plan = snap["settings"], Plan.from_json(snap["plan"])
    shot = plan.shots[job.shot_index]
    folder = studio.storage.project_dir(job.project_id)
    out = folder / "clips" / f"shot-{shot.index + 1:02d}.mp4"
    out.parent.mkdir(exist_ok=True)
    if not out.exists() and not _film(studio, job, settings, plan, folder, out):
        return  # a remote clip is still being made; the job was re-scheduled to poll

    def apply(session: Session, project: Project) -> None:
        repository.shot(session, project.id, shot.index).clip_path = studio.storage.relative(out)
        session.flush()
        shots = repository.shots(session, project.id)
        if all(s.clip_path for s in shots):
            record_provider(project, "filming", "video")
            seconds = sum(s.duration_seconds for s in shots)
            state.settle_stage(
                session, project, "filming", pricing.filming_credits(project.settings, seconds)
            )
            record_brief(
                studio, session, project, voice(studio, job, project.settings, "filming", plan)
            )
            project.current_stage = "production"
            state.enqueue(session, project, "produce")

    state.commit_step(studio, job, apply)


def produce_step(studio: Studio, job: JobRef) -> None:
    snap = state.begin_step(studio, job)
    if snap is None:
        return
    settings, plan = snap["settings"], Plan.from_json(snap["plan"])
    folder = studio.storage.project_dir(job.project_id)
    clips = [folder / "clips" / f"shot-{s.index + 1:02d}.mp4" for s in plan.shots]
    final = folder / "final.mp4"
    joined = join_clips(clips, final)
    checked = joined.media
    planned = plan.total_seconds
    if checked.video is None or abs(checked.duration_seconds - planned) > 0.5:
        raise StepFailed(
            f"the final cut runs {checked.duration_seconds:.2f} s; planned {planned} s"
        )
    with studio.db.read() as session:
        keyframes = [
            studio.storage.path(str(s.keyframe_path))
            for s in repository.shots(session, job.project_id)
        ]
    sheet = make_contact_sheet(keyframes, folder / "contact-sheet.jpg")
    brief = voice(
        studio,
        job,
        settings,
        "production",
        plan,
        extra="Joined without re-encoding." if joined.stream_copied else "",
    )

    def apply(session: Session, project: Project) -> None:
        project.final_path = studio.storage.relative(final)
        project.contact_sheet_path = studio.storage.relative(sheet)
        for role, path, kind, ctype in (
            ("final", final, "video", "video/mp4"),
            ("contact_sheet", sheet, "image", "image/jpeg"),
        ):
            session.add(
                Asset(
                    project_id=project.id,
                    role=role,
                    kind=kind,
                    stage="production",
                    name=role,
                    filename=path.name,
                    content_type=ctype,
                    path=studio.storage.relative(path),
                    size_bytes=path.stat().st_size,
                )
            )
        project.providers = {
            **project.providers,
            "production": {
                "provider": "local",
                "runs_on": "ffmpeg",
                "stream_copied": joined.stream_copied,
            },
        }
        state.settle_stage(
            session, project, "production", pricing.production_credits(checked.duration_seconds)
        )
        record_brief(studio, session, project, brief)
        state.complete(session, project)

    state.commit_step(studio, job, apply)


STEPS = {
    "plan": plan_step,
    "references": storyboard.references_step,
    "keyframe": storyboard.keyframe_step,
    "film": film_step,
    "produce": produce_step,
    "repaint": storyboard.repaint_step,
}
STAGE_OF_STEP = {
    "plan": "planning",
    "references": "storyboarding",
    "keyframe": "storyboarding",
    "film": "filming",
    "produce": "production",
    "repaint": "storyboarding",
}


def describe_failure(job: JobRef, exc: BaseException) -> str:
    """A plain-words cause naming the stage and shot."""
    where = STAGE_OF_STEP.get(job.step, job.step)
    shot = f" on shot {job.shot_index + 1}" if job.shot_index >= 0 else ""
    return f"{where} failed{shot}: {exc}"


def run_job(studio: Studio, job: JobRef) -> None:
    """Run one leased job; retry transient failures, fail the render on the last attempt."""
    try:
        STEPS[job.step](studio, job)
    except Exception as exc:
        message = describe_failure(job, exc)
        permanent = isinstance(exc, StepFailed | remote_film.ClipWithheld | TimeoutError)
        if permanent or job.attempts >= studio.settings.job_max_attempts:
            state.fail(studio, job, message)
        else:
            delay = studio.settings.job_retry_base_seconds * 2 ** (job.attempts - 1)
            state.retry_later(studio, job, message, delay_seconds=delay)
        studio.wake()


__all__ = ["STEPS", "run_job", "Path"]
