"""The stage graph of a scene render: plan -> references -> keyframe x N -> film x N -> produce.

Each step does its slow work outside any transaction, writes its files
atomically, then records them in one transaction that also settles the
stage's credits and enqueues what comes next. Re-running a step after a
crash finds its outputs recorded and does no paid work twice.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy.orm import Session

from fvs import logs, metrics
from fvs.billing import pricing
from fvs.jobs.service import JobRef
from fvs.media.concat import JoinResult
from fvs.media.contact_sheet import make_contact_sheet
from fvs.media.encode import DELIVERY_FPS
from fvs.media.levels import even_out
from fvs.media.loudness import Loudness, measure_loudness, normalise_loudness
from fvs.media.music import MusicAnalysis
from fvs.media.music_cut import MusicCut, Span, cut_to_music
from fvs.media.probe import probe
from fvs.media.transitions import Assembly, assemble
from fvs.models import Asset, Project, Shot
from fvs.options.resolved import ResolvedRender
from fvs.pipeline import (
    music,
    reference_filming,
    remote_film,
    repository,
    requested_assets,
    state,
    storyboard,
    transitions,
)
from fvs.pipeline.common import record_asset, record_brief, record_provider, runs_on, voice
from fvs.providers import registry
from fvs.providers.base import (
    ClipSpec,
    Plan,
    PlanRequest,
    ReferenceFilmer,
    ReferenceUse,
    RemoteVideoFilmer,
    ShotPlan,
    VideoFilmer,
)
from fvs.stages import STAGE_OF_STEP, Stage, Step
from fvs.storage.base import Workspace, project_key
from fvs.studio import Studio

log = logging.getLogger(__name__)
# Uploads a scene render keeps but does not read, and what the status says of them.
UNREAD_UPLOADS = {
    "audio": "is kept with the project, but only project_mode music uses audio (as its track)",
    "text": "is kept with the project, but not read: the screenplay and instructions come "
    "from the request's fields",
    "document": "is kept with the project, but not read: only a document_reference is",
}


FINAL = "final.mp4"
CONTACT_SHEET = "contact-sheet.jpg"


class StepFailed(Exception):
    """A step failed in a way retrying cannot fix."""


def plan_step(studio: Studio, job: JobRef) -> None:
    """Plan the shots and the continuity bible; one Shot row per planned shot."""
    begun = state.begin_step(studio, job, stage=Stage.PLANNING)
    if begun is None:
        return
    render = begun.render
    plan, track = _make_plan(studio, job, render)
    brief = voice(studio, job, render, Stage.PLANNING, plan)

    def apply(session: Session, project: Project) -> None:
        if track is not None:
            _record_track(studio, session, project, track)
        _record_plan(session, project, plan)
        _record_upload_uses(session, project, plan)
        for note in plan.notes:
            state.add_note(project, note)
        if not render.is_custom:  # the caller wrote the shots: no planner ran
            record_provider(project, Stage.PLANNING, "planner")
        state.settle_stage(session, project, Stage.PLANNING, pricing.planning_credits(render))
        record_brief(session, project, brief)
        project.current_stage = Stage.STORYBOARDING
        state.enqueue(session, project, Step.REFERENCES)

    state.commit_step(studio, job, apply)


def _record_plan(session: Session, project: Project, plan: Plan) -> None:
    """Keep the plan on the project and add one Shot row per planned shot."""
    project.plan = plan.model_dump(mode="json")
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


def _record_track(studio: Studio, session: Session, project: Project, track: music.Track) -> None:
    """Keep a music render's track and beat cut; settle what composing it cost."""
    render = state.settings_of(project)
    project.music = track.stored()
    durations = list(music.film_durations(track))
    # The settings now say what the beat grid planned, no longer the hold's upper bound.
    project.settings = {
        **project.settings,
        "shot_count": len(durations),
        "planned_durations": durations,
    }
    if track.source == "composed":
        record_provider(project, "music", "music")
        record_asset(
            session,
            project,
            track.key,
            size_bytes=studio.storage.size(track.key) or 0,
            role="soundtrack",
            kind="audio",
            name="soundtrack",
            content_type="audio/wav",
            stage=Stage.PLANNING,
        )
    credits = pricing.music_credits(render, render.scene_target_duration_seconds)
    state.settle_stage(session, project, pricing.MUSIC_STAGE, credits)


def _record_upload_uses(session: Session, project: Project, plan: Plan) -> None:
    """Mark each upload with how the plan used it, and note why wherever that needs saying."""
    render = state.settings_of(project)
    described = requested_assets.describe_uploads(render, repository.uploads(session, project.id))
    shown = {id(d.asset): i for i, d in enumerate(requested_assets.planner_images(described))}
    uses = {use.index: use for use in plan.reference_uses}
    named = {s.reference: s for s in plan.bible.subjects if s.reference}
    for d in described:
        if render.is_music and d.asset.kind == "audio":
            _record_track_use(project, d.asset, render.track_upload)
            continue
        use = uses.get(shown[id(d.asset)]) if id(d.asset) in shown else None
        subject = named.get(d.asset.path)
        if subject is not None:
            who = d.label or subject.key
            use = ReferenceUse(index=-1, used_as=f"subject reference for {who}")
        elif d.purpose in requested_assets.WORLD_PURPOSES and (use is None or not use.used_as):
            use = ReferenceUse(index=-1, used_as="world palette")
        d.asset.used_as = use.used_as if use else requested_assets.PURPOSE_USES.get(d.purpose or "")
        note = _upload_note(d, use, render.is_custom)
        if note:
            state.add_note(project, note)


def _record_track_use(project: Project, upload: Asset, track: str | None) -> None:
    """A music render's audio upload is its soundtrack, or a note says which one is."""
    if upload.filename == track:
        upload.used_as = "soundtrack (the film is cut to its beats)"
        return
    state.add_note(
        project,
        f"{upload.name} upload {upload.filename!r} was not used: the soundtrack is {track!r}",
    )


def _upload_note(
    d: requested_assets.DescribedUpload, use: ReferenceUse | None, custom: bool
) -> str | None:
    """Why an upload went unused, or why it was used as it was; None when that is plain."""
    upload = d.asset
    named = f"{upload.name} upload {upload.filename!r}"
    if d.purpose in requested_assets.PURPOSE_USES:
        return f"{named} is the {requested_assets.PURPOSE_USES[d.purpose]}"
    if upload.kind != "image":
        return f"{named} {UNREAD_UPLOADS.get(upload.kind, 'is not used by scene renders')}"
    if use is None or use.used_as is None:
        if custom:
            return f"{named} was not used: custom shots name their own references"
        return f"{named} was not used: {use.why if use and use.why else 'the planner left it out'}"
    return f"{named} is used as the {use.used_as} ({use.why})" if use.why else None


def _make_plan(
    studio: Studio, job: JobRef, render: ResolvedRender
) -> tuple[Plan, music.Track | None]:
    """The caller's shots (custom mode) or the planner's, with the described assets applied;
    in music mode, cut on the beats of the track, which is returned too."""
    with studio.db.read() as session:
        described = requested_assets.describe_uploads(
            render, repository.uploads(session, job.project_id)
        )
    track = None
    if render.is_custom:
        plan = requested_assets.custom_plan(render, described)
        plan = reference_filming.for_custom(plan, render)
    else:
        if render.is_music:
            track = music.prepare_track(studio, job.project_id, render, described)
        plan = _ask_planner(studio, job, render, described, track)
        plan = requested_assets.name_subjects(plan, described, render.visual_style_preset)
        if track is not None:
            plan = music.fit_to_track(plan, track, render)
        plan = reference_filming.settle(plan, render)
    # After references are settled: a continuous cut never flows into or out of a shot
    # filmed from references.
    plan = transitions.with_transitions(plan, render)
    with studio.storage.workspace(job.project_id) as workspace:
        palette = requested_assets.world_palette(described, workspace.input)
    return requested_assets.with_world(plan, palette), track


def _plan_request(
    render: ResolvedRender, track: music.Track | None, instructions: str
) -> PlanRequest:
    """What the planner is asked: the render's shots, or in music mode the beat grid's."""
    video = render.runs_on("video")
    if track is None:
        return PlanRequest(
            screenplay=render.screenplay,
            instructions=instructions,
            shot_count=render.shot_count,
            # The clips run longer by the overlaps of their transitions.
            target_seconds=float(sum(render.planned_durations)),
            allowed_durations=video.durations,
            style_preset=render.visual_style_preset,
            transition=render.transition,
            transition_seconds=render.transition_seconds,
        )
    screenplay, told = music.planner_brief(render, track)
    durations = music.film_durations(track)
    return PlanRequest(
        screenplay=screenplay,
        instructions=f"{told}\n\n{instructions}" if instructions else told,
        shot_count=len(durations),
        target_seconds=float(sum(durations)),
        allowed_durations=video.durations,
        style_preset=render.visual_style_preset,
        shot_durations=durations,
    )


def _ask_planner(
    studio: Studio,
    job: JobRef,
    render: ResolvedRender,
    described: list[requested_assets.DescribedUpload],
    track: music.Track | None,
) -> Plan:
    """Ask the planner for a plan, and refuse one the video model could not film."""
    images = [d.asset.path for d in requested_assets.planner_images(described)]
    with studio.storage.workspace(job.project_id) as workspace:
        # A music render's instructions are read by planner_brief; the documents are extra.
        own = "" if track is not None else render.instructions
        instructions = requested_assets.document_brief(own, described, workspace.input)
        request = replace(
            _plan_request(render, track, instructions),
            reference_images=tuple(workspace.input(key) for key in images),
            reference_seconds=reference_filming.reference_seconds(render, described),
        )
        plan = studio.providers.planner(runs_on(render, "planner")).plan(request)
    durations = [s.duration_seconds for s in plan.shots]
    allowed = request.allowed_durations
    if len(durations) != request.shot_count or any(d not in allowed for d in durations):
        raise StepFailed(f"the planner returned durations {durations}, outside {allowed}")
    return plan


def clip_key(project_id: str, shot_index: int) -> str:
    """Where shot n's clip is stored."""
    return project_key(project_id, f"clips/shot-{shot_index + 1:02d}.mp4")


def _clip_spec(render: ResolvedRender, shot: ShotPlan) -> ClipSpec:
    width, height = registry.video_size(render.video_resolution, render.aspect_ratio)
    return ClipSpec(
        width=width,
        height=height,
        fps=24,
        duration_seconds=shot.duration_seconds,
        seed=(render.seed or 0) + shot.index,
        audio=render.films_sound,
    )


@dataclass(frozen=True)
class _Sources:
    """What a shot is filmed from: its keyframe (continuous: to the next shot's keyframe,
    the last frame), or its subjects' reference images alone, with neither frame."""

    keyframe: str
    references: tuple[str, ...] = ()
    last_frame: str | None = None


def _sources(studio: Studio, job: JobRef, render: ResolvedRender, plan: Plan) -> _Sources:
    shot = plan.shots[job.shot_index]
    with studio.db.read() as session:
        keyframe = str(repository.shot(session, job.project_id, shot.index).keyframe_path)
        if shot.filmed_from == reference_filming.REFERENCES:
            subjects = repository.assets(session, job.project_id, role="subject")
            images = {a.name: a.path for a in subjects}
            references = reference_filming.reference_images(plan, shot, images, render)
            if not references:
                raise StepFailed(
                    f"shot {shot.index + 1} is planned from references, but none is stored"
                )
            return _Sources(keyframe, references)
        return _Sources(keyframe, last_frame=_next_keyframe(session, job.project_id, plan, shot))


def _next_keyframe(session: Session, project_id: str, plan: Plan, shot: ShotPlan) -> str | None:
    """The next shot's keyframe, when this shot is filmed to flow into it (continuous)."""
    if shot.filmed_from != transitions.KEYFRAME_TO_NEXT or shot.index + 1 >= len(plan.shots):
        return None
    following = repository.shot(session, project_id, shot.index + 1).keyframe_path
    return str(following) if following else None


def _film(studio: Studio, job: JobRef, render: ResolvedRender, plan: Plan, key: str) -> bool:
    """Film one shot and store it as `key`; False while a remote model is still working on it."""
    shot = plan.shots[job.shot_index]
    spec = _clip_spec(render, shot)
    sources = _sources(studio, job, render, plan)
    model_id = runs_on(render, "video")
    filmer = studio.providers.filmer(model_id)
    if isinstance(filmer, RemoteVideoFilmer):
        model = registry.find(model_id)
        first = model is not None and model.image_to_video and not sources.references
        return remote_film.film_remote(
            studio,
            job,
            filmer=filmer,
            model_id=model_id,
            shot=shot,
            bible=plan.bible,
            spec=spec,
            # Veo takes reference images only without a first frame (or a last one).
            keyframe=sources.keyframe if first else None,
            references=sources.references,
            last_frame=sources.last_frame,
            out=key,
        )
    with studio.storage.workspace(job.project_id) as workspace:
        _film_here(filmer, model_id, workspace, plan, shot, spec, sources, key)
    return True


def _film_here(
    filmer: VideoFilmer,
    model_id: str,
    workspace: Workspace,
    plan: Plan,
    shot: ShotPlan,
    spec: ClipSpec,
    sources: _Sources,
    key: str,
) -> None:
    """Film the shot on this machine, from its keyframe or from its subjects' references."""
    out = workspace.output(key, "video/mp4")
    if not sources.references:
        last_frame = workspace.input(sources.last_frame) if sources.last_frame else None
        filmer.film(shot, workspace.input(sources.keyframe), spec, out, last_frame=last_frame)
    elif isinstance(filmer, ReferenceFilmer):
        images = tuple(workspace.input(k) for k in sources.references)
        filmer.film_from_references(shot, images, plan.bible, spec, out)
    else:
        raise StepFailed(f"{model_id} cannot film shot {shot.index + 1} from references")


def film_step(studio: Studio, job: JobRef) -> None:
    """Film one shot (from its keyframe or its subjects' references); the last one filmed
    moves the render to production."""
    begun = state.begin_step(studio, job)
    if begun is None:
        return
    plan = begun.plan
    shot = plan.shots[job.shot_index]
    key = clip_key(job.project_id, shot.index)
    if studio.storage.size(key) is None and not _film(studio, job, begun.render, plan, key):
        return  # a remote clip is still being made; the job was re-scheduled to poll

    def apply(session: Session, project: Project) -> None:
        repository.shot(session, project.id, shot.index).clip_path = key
        session.flush()
        shots = repository.shots(session, project.id)
        if all(s.clip_path for s in shots):
            _finish_filming(studio, session, project, job, plan, shots)

    state.commit_step(studio, job, apply)


def _finish_filming(
    studio: Studio, session: Session, project: Project, job: JobRef, plan: Plan, shots: list[Shot]
) -> None:
    render = state.settings_of(project)
    record_provider(project, Stage.FILMING, "video")
    seconds = sum(s.duration_seconds for s in shots)
    state.settle_stage(session, project, Stage.FILMING, pricing.filming_credits(render, seconds))
    record_brief(session, project, voice(studio, job, render, Stage.FILMING, plan))
    project.current_stage = Stage.PRODUCTION
    state.enqueue(session, project, Step.PRODUCE)


def produce_step(studio: Studio, job: JobRef) -> None:
    """Join the clips into the final cut, check it, and make the contact sheet."""
    begun = state.begin_step(studio, job)
    if begun is None:
        return
    plan = begun.plan
    assembly: Assembly | None = None
    with studio.storage.workspace(job.project_id) as workspace:
        if begun.render.is_music:
            cut, final_size = _cut_to_music(studio, workspace, job.project_id, plan, begun.render)
            joined, loudness = cut.joined, cut.loudness
        else:
            assembly, loudness, final_size = _join_and_check(workspace, job.project_id, plan)
            joined = assembly.joined
        sheet_size = _contact_sheet(studio, workspace, job.project_id)
    copied = _join_note(joined, assembly)
    brief = voice(studio, job, begun.render, Stage.PRODUCTION, plan, extra=copied)

    def apply(session: Session, project: Project) -> None:
        _record_deliverables(session, project, final_size=final_size, sheet_size=sheet_size)
        _record_production_provider(project, joined, loudness, assembly)
        credits = pricing.production_credits(joined.media.duration_seconds)
        state.settle_stage(session, project, Stage.PRODUCTION, credits)
        record_brief(session, project, brief)
        state.complete(session, project)

    state.commit_step(studio, job, apply)


def _join_note(joined: JoinResult, assembly: Assembly | None) -> str:
    """What the production brief says of the join."""
    if assembly is not None and assembly.method == "smart":
        return "Joined without re-encoding, except around each transition."
    return "Joined without re-encoding." if joined.stream_copied else ""


def _record_deliverables(
    session: Session, project: Project, *, final_size: int, sheet_size: int
) -> None:
    """Point the project at its final cut and contact sheet, and record both as assets."""
    project.final_path = project_key(project.id, FINAL)
    project.contact_sheet_path = project_key(project.id, CONTACT_SHEET)
    for role, key, size, kind, ctype in (
        ("final", project.final_path, final_size, "video", "video/mp4"),
        ("contact_sheet", project.contact_sheet_path, sheet_size, "image", "image/jpeg"),
    ):
        record_asset(
            session,
            project,
            key,
            size_bytes=size,
            role=role,
            kind=kind,
            name=role,
            content_type=ctype,
            stage=Stage.PRODUCTION,
        )


def _record_production_provider(
    project: Project, joined: JoinResult, loudness: Loudness, assembly: Assembly | None
) -> None:
    """Note that production ran on the local ffmpeg, whether the join copied the video
    streams (and how many frames transitions re-encoded), and the delivered loudness."""
    production: dict[str, object] = {
        "provider": "local",
        "runs_on": "ffmpeg",
        "stream_copied": joined.stream_copied,
    }
    if assembly is not None:
        production["assembly"] = assembly.method
        production["reencoded_frames"] = assembly.reencoded_frames
    production["integrated_lufs"] = loudness.integrated_lufs
    production["true_peak_dbtp"] = loudness.true_peak_dbtp
    project.providers = {**project.providers, Stage.PRODUCTION: production}


def _join_and_check(
    workspace: Workspace, project_id: str, plan: Plan
) -> tuple[Assembly, Loudness, int]:
    """Level the clips, join them in shot order through their transitions and normalise
    the film's loudness; a cut that misses the planned length fails the step."""
    clips = [workspace.input(clip_key(project_id, s.index)) for s in plan.shots]
    final = workspace.output(project_key(project_id, FINAL), "video/mp4")
    with tempfile.TemporaryDirectory() as folder:
        levelled = even_out(clips, Path(folder))
        assembly = assemble(levelled, plan.transitions(), Path(folder) / "joined.mp4")
        normalise_loudness(assembly.joined.path, final, partial=True)
    checked, planned = probe(final), plan.delivered_seconds
    if checked.video is None or abs(checked.duration_seconds - planned) > 0.5:
        raise StepFailed(
            f"the final cut runs {checked.duration_seconds:.2f} s; planned {planned:g} s"
        )
    joined = JoinResult(final, assembly.joined.stream_copied, checked)
    return replace(assembly, joined=joined), measure_loudness(final), final.stat().st_size


def _cut_to_music(
    studio: Studio, workspace: Workspace, project_id: str, plan: Plan, render: ResolvedRender
) -> tuple[MusicCut, int]:
    """Cut the clips to their beats over the track; a film off the track's length fails."""
    with studio.db.read() as session:
        stored = repository.music_of(session, project_id)
    assert stored, "a music render's planning stored its track"
    clips = [workspace.input(clip_key(project_id, s.index)) for s in plan.shots]
    spans = [Span(s.start_seconds or 0.0, s.end_seconds or 0.0) for s in plan.shots]
    analysis = MusicAnalysis.model_validate(stored["analysis"])
    end = float(str(stored["end_seconds"]))
    final = workspace.output(project_key(project_id, FINAL), "video/mp4")
    cut = cut_to_music(
        clips,
        spans,
        workspace.input(str(stored["track_key"])),
        final,
        clip_audio=render.clip_audio,  # type: ignore[arg-type]
        fade_out=end < analysis.duration_seconds - 1e-3,
    )
    video = cut.joined.media.video
    seconds = (video.frame_count or 0) / video.fps if video and video.fps else 0.0
    if abs(seconds - end) > 1 / DELIVERY_FPS:
        raise StepFailed(f"the final cut runs {seconds:.3f} s; the track is cut at {end:.3f} s")
    return cut, final.stat().st_size


def _contact_sheet(studio: Studio, workspace: Workspace, project_id: str) -> int:
    """Make the contact sheet from the shots' current keyframes; its size in bytes."""
    with studio.db.read() as session:
        keys = [str(s.keyframe_path) for s in repository.shots(session, project_id)]
    sheet = workspace.output(project_key(project_id, CONTACT_SHEET), "image/jpeg")
    make_contact_sheet([workspace.input(key) for key in keys], sheet)
    return sheet.stat().st_size


STEPS: dict[str, Callable[[Studio, JobRef], None]] = {
    Step.PLAN: plan_step,
    Step.REFERENCES: storyboard.references_step,
    Step.KEYFRAME: storyboard.keyframe_step,
    Step.FILM: film_step,
    Step.PRODUCE: produce_step,
    Step.REPAINT: storyboard.repaint_step,
}


def describe_failure(job: JobRef, exc: BaseException) -> str:
    """A plain-words cause naming the stage and shot."""
    where = STAGE_OF_STEP.get(Step(job.step), job.step) if job.step in STEPS else job.step
    shot = f" on shot {job.shot_index + 1}" if job.shot_index >= 0 else ""
    return f"{where} failed{shot}: {exc}"


def run_job(studio: Studio, job: JobRef) -> None:
    """Run one leased job; retry transient failures, fail the render on the last attempt."""
    stage = STAGE_OF_STEP.get(Step(job.step), job.step) if job.step in STEPS else job.step
    with logs.job_context(job.project_id, job.id):
        try:
            with metrics.timed_step(job.step, str(stage)):
                STEPS[job.step](studio, job)
            log.info("step %s ran (attempt %s)", job.step, job.attempts)
        except Exception as exc:
            log.warning("job %s (%s) failed: %s", job.id, job.step, exc)
            _after_failure(studio, job, exc)


def _after_failure(studio: Studio, job: JobRef, exc: Exception) -> None:
    """Retry a transient failure after a backoff; fail the render on a permanent or last one."""
    message = describe_failure(job, exc)
    permanent = isinstance(exc, StepFailed | remote_film.ClipWithheld | TimeoutError)
    if permanent or job.attempts >= studio.settings.job_max_attempts:
        state.fail(studio, job, message)
    else:
        delay = studio.settings.job_retry_base_seconds * 2 ** (job.attempts - 1)
        metrics.JOBS_RETRIED.labels(job.step).inc()
        state.retry_later(studio, job, message, delay_seconds=delay)
    studio.wake()


__all__ = ["STEPS", "run_job"]
