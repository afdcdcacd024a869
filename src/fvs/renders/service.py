"""The agent API's rules: submit, look up, list, cancel, review and describe a render."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection
from sqlalchemy.orm import Session

from fvs.accounts import service as accounts
from fvs.billing import pricing
from fvs.billing import service as billing
from fvs.config import Settings
from fvs.errors import Conflict, NotFound
from fvs.media.music import MusicAnalysis
from fvs.models import Asset, Project, Run, Shot
from fvs.models.base import new_id
from fvs.options.resolved import ResolvedRender
from fvs.pipeline import service as pipeline
from fvs.pipeline.service import ShotCounts
from fvs.renders import repository
from fvs.renders.freshness import Version
from fvs.renders.schemas import (
    Estimate,
    MusicSectionStatus,
    MusicStatus,
    RenderRequest,
    RenderStatus,
    RenderSummary,
    ShotStatus,
    UploadStatus,
)
from fvs.renders.settings import ignored_fields_note, resolve_render
from fvs.renders.uploads import Upload, check_assets, check_tracks, pick_track
from fvs.stages import TERMINAL, WORK_STAGES, Stage, Status
from fvs.storage.base import MediaStorage, project_key
from fvs.webhooks import service as webhooks

DELIVERABLE_ROLES = ("upload", "final")
LIST_LIMIT = 50
# Characters no file name on Windows, macOS or Linux may hold, and control characters.
UNSAFE_IN_FILENAMES = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


def quote_render(
    session: Session,
    *,
    account_id: str,
    request: RenderRequest,
    settings: Settings,
    uploads: Sequence[Upload] = (),
) -> tuple[ResolvedRender, dict[str, int]]:
    """Resolve and price a request (with its uploads, when sent) without creating anything."""
    account = accounts.get_account(session, account_id)
    track = pick_track(request, uploads) if request.project_mode == "music" else None
    track_seconds = check_tracks(request, uploads, track=track)
    resolved = resolve_render(
        request,
        account_defaults=account.defaults,
        settings=settings,
        track_seconds=track_seconds,
        track_upload=track.filename if track else None,
    )
    return resolved, pricing.estimate(resolved)


def estimate_render(
    session: Session, *, account_id: str, request: RenderRequest, settings: Settings
) -> Estimate:
    """What a request would resolve to and cost, against the wallet; charges nothing."""
    resolved, stages = quote_render(
        session, account_id=account_id, request=request, settings=settings
    )
    available = billing.wallet_balance(session, account_id=account_id).available
    total = sum(stages.values())
    return Estimate(
        settings=resolved.public(),
        planned_durations=resolved.planned_durations,
        credits_estimated=total,
        credits_breakdown=stages,
        available_credits=available,
        affordable=available >= total,
    )


def submit_render(
    session: Session,
    *,
    account_id: str,
    request: RenderRequest,
    uploads: list[Upload],
    settings: Settings,
    storage: MediaStorage,
    id_prefix: str = "proj",
) -> Project:
    """Create the project, its run and first job, and hold its estimated credits."""
    check_assets(request, uploads)
    if request.webhook_url is not None:
        # Before this transaction's first query: no write lock is held during the DNS lookup.
        webhooks.check_render_webhook(request.webhook_url, settings=settings)
    resolved, estimate = quote_render(
        session, account_id=account_id, request=request, settings=settings, uploads=uploads
    )
    project_id = new_id(id_prefix)
    reserved = billing.reserve_render(
        session,
        account_id=account_id,
        project_id=project_id,
        estimate=estimate,
        timeout=timedelta(seconds=settings.hold_timeout_seconds),
    )
    project = _add_project(
        session,
        project_id=project_id,
        account_id=account_id,
        resolved=resolved,
        reserved=reserved,
        notes=[n for n in (ignored_fields_note(request, resolved.project_mode),) if n],
    )
    for upload in uploads:
        _store_upload(session, storage, project_id, upload)
    if request.webhook_url is not None:
        webhooks.add_render_endpoint(
            session,
            account_id=account_id,
            project_id=project_id,
            url=request.webhook_url,
            events=list(request.webhook_events or []),
        )
    pipeline.start(session, project)
    return project


def _add_project(
    session: Session,
    *,
    project_id: str,
    account_id: str,
    resolved: ResolvedRender,
    reserved: int,
    notes: list[str],
) -> Project:
    """Add the project row and its first run, which it names as active."""
    run = Run(id=new_id("run"), project_id=project_id)
    project = Project(
        id=project_id,
        account_id=account_id,
        name=resolved.name,
        settings=resolved.model_dump(mode="json"),
        active_run_id=run.id,
        providers={},
        notes=notes,
        credits_reserved=reserved,
    )
    session.add(project)
    # Insert the project before its run, whose row points at it.
    session.flush()
    session.add(run)
    return project


def _store_upload(session: Session, storage: MediaStorage, project_id: str, upload: Upload) -> None:
    asset_id = new_id("asset")
    key = project_key(project_id, f"uploads/{asset_id}-{upload.filename}")
    storage.put_bytes(key, upload.data, upload.content_type)
    session.add(
        Asset(
            id=asset_id,
            project_id=project_id,
            role="upload",
            kind=upload.kind,
            name=upload.part,
            filename=upload.filename,
            content_type=upload.content_type,
            path=key,
            size_bytes=len(upload.data),
        )
    )


def get_render(session: Session, *, account_id: str, project_id: str) -> Project:
    """The account's render, or 404 (also for another account's id)."""
    project = repository.owned_project(session, project_id=project_id, account_id=account_id)
    if project is None:
        raise NotFound(f"no render {project_id}", field="project_id")
    return project


def _locked(session: Session, account_id: str, project_id: str) -> Project:
    project = repository.lock_owned_project(session, project_id=project_id, account_id=account_id)
    if project is None:
        raise NotFound(f"no render {project_id}", field="project_id")
    return project


def cancel_render(session: Session, *, account_id: str, project_id: str) -> Project:
    """Stop a queued or running render and return its unspent credits."""
    project = _locked(session, account_id, project_id)
    if project.status == Status.CANCELLED:
        return project
    if project.status in (Status.COMPLETED, Status.FAILED):
        raise Conflict(
            f"render {project_id} already {project.status}; nothing to cancel", field="project_id"
        )
    pipeline.cancel(session, project)
    return project


def _halted(session: Session, account_id: str, project_id: str, action: str) -> Project:
    project = _locked(session, account_id, project_id)
    if project.current_stage != Stage.HALTED_FOR_REVIEW or project.status in TERMINAL:
        raise Conflict(
            f"render {project_id} is not awaiting review ({project.status}, "
            f"{project.current_stage}); only a halted storyboard can be {action}",
            field="project_id",
        )
    return project


def approve_render(session: Session, *, account_id: str, project_id: str) -> Project:
    """Approve a storyboard halted for review: filming starts."""
    project = _halted(session, account_id, project_id, "approved")
    pipeline.approve(session, project)
    return project


def regenerate_keyframe(
    session: Session, *, account_id: str, project_id: str, shot_number: int
) -> Project:
    """Paint a new take of one shot's keyframe (1-based shot number); charged as one image."""
    project = _halted(session, account_id, project_id, "changed")
    take = pipeline.check_repaint(session, project, shot_number)
    billing.charge(
        session,
        account_id=account_id,
        project_id=project.id,
        amount=pricing.image_credits(ResolvedRender.model_validate(project.settings), 1),
        transfer_id=f"charge:{project.id}:repaint:{shot_number}:{take}",
        memo=f"keyframe take {take} of shot {shot_number}",
    )
    pipeline.repaint(session, project, shot_number)
    return project


def status_version(connection: Connection, *, account_id: str, project_id: str) -> Version:
    """The render's version, for its ETag and poll hint: one small query; 404 for none."""
    row = repository.version_row(
        connection, project_id=project_id, account_id=account_id, columns=_version_columns()
    )
    if row is None:
        raise NotFound(f"no render {project_id}", field="project_id")
    return Version.from_row(row)


@functools.cache
def _version_columns() -> tuple[ColumnElement[Any], ...]:
    # Built once: the version query is cached by these very column objects.
    return (billing.settled_column(Project.id.expression).label("settled"),)


def status_of(
    session: Session,
    *,
    account_id: str,
    project_id: str,
    base_url: str,
    settings: Settings,
    storage: MediaStorage,
) -> RenderStatus:
    """The status body of the account's render, or 404."""
    project = get_render(session, account_id=account_id, project_id=project_id)
    return render_status(session, project, base_url=base_url, settings=settings, storage=storage)


def render_status(
    session: Session,
    project: Project,
    *,
    base_url: str,
    settings: Settings,
    storage: MediaStorage,
) -> RenderStatus:
    """The status body: the seed's fields, then ours."""
    link = _Links(storage, base_url=base_url, ttl_seconds=settings.signed_url_ttl_seconds)
    shots = pipeline.shots(session, project.id)
    assets = pipeline.assets(session, project.id)
    status_url = f"{base_url}/api/agent/renders/{project.id}"
    return RenderStatus(
        project_id=project.id,
        name=project.name,
        status=project.status,
        current_stage=project.current_stage,
        is_running=is_running(project),
        run_id=project.active_run_id,
        final_video_url=_final_video_url(project, link),
        last_error=project.last_error,
        asset_count=sum(1 for a in assets if a.role in DELIVERABLE_ROLES),
        clip_count=sum(1 for s in shots if s.clip_path),
        status_url=status_url,
        cancel_url=f"{status_url}/cancel",
        needs_approval=needs_approval(project),
        approve_url=f"{status_url}/approve" if needs_approval(project) else None,
        progress=progress(project, _counts(shots)),
        credits_reserved=project.credits_reserved,
        credits_settled=billing.project_settled(session, project_id=project.id),
        stage_providers=project.providers,
        notes=project.notes,
        shots=[_shot_status(s, link, _planned_shots(project)) for s in shots],
        contact_sheet_url=link(project.contact_sheet_path),
        voice_briefs=_voice_briefs(assets, link),
        uploads=_uploads(assets, link, ResolvedRender.model_validate(project.settings)),
        settings=ResolvedRender.model_validate(project.settings).public(),
        created_at=project.created_at.isoformat(),
        updated_at=project.updated_at.isoformat(),
        music=_music_status(project),
    )


def _music_status(project: Project) -> MusicStatus | None:
    """The stored track's summary, or None before planning and outside music mode."""
    if not project.music:
        return None
    analysis = MusicAnalysis.model_validate(project.music["analysis"])
    return MusicStatus(
        source=project.music["source"],
        duration_seconds=float(project.music.get("end_seconds") or analysis.duration_seconds),
        bpm=analysis.bpm,
        beat_count=len(analysis.beats),
        sections=[MusicSectionStatus(**s.model_dump()) for s in analysis.sections],
    )


def _planned_shots(project: Project) -> dict[int, dict[str, Any]]:
    """Each planned shot as stored in the plan, by index (empty before planning)."""
    return {s["index"]: s for s in (project.plan or {}).get("shots", ())}


def list_renders(session: Session, *, account_id: str) -> list[RenderSummary]:
    """The account's newest renders as the studio's list shows them, in one query."""
    project_id = Project.id.expression
    counts = pipeline.shot_count_columns(project_id)
    rows = repository.projects_with(
        session, account_id, [*counts, billing.settled_column(project_id)], limit=LIST_LIMIT
    )
    summaries = []
    for project, planned, keyframed, filmed, settled in rows:
        shots = ShotCounts(planned=planned, keyframed=keyframed, filmed=filmed)
        summaries.append(
            RenderSummary(
                project_id=project.id,
                name=project.name,
                status=project.status,
                current_stage=project.current_stage,
                clip_count=filmed,
                progress=progress(project, shots),
                shot_count=planned,
                credits_settled=settled,
                credits_reserved=project.credits_reserved,
                created_at=project.created_at.isoformat(),
            )
        )
    return summaries


class _Links:
    """Expiring media URLs for stored keys, from whichever storage holds them."""

    def __init__(self, storage: MediaStorage, *, base_url: str, ttl_seconds: int) -> None:
        self.storage = storage
        self.base_url = base_url
        self.ttl = ttl_seconds

    def __call__(self, key: str | None, *, download_name: str | None = None) -> str | None:
        if not key:
            return None
        return self.storage.link(
            key, base_url=self.base_url, ttl_seconds=self.ttl, download_name=download_name
        )


def _shot_status(shot: Shot, link: _Links, planned: dict[int, dict[str, Any]]) -> ShotStatus:
    plan = planned.get(shot.index, {})
    last = shot.index == len(planned) - 1
    return ShotStatus(
        number=shot.index + 1,
        index=shot.index,
        text=shot.text,
        duration_seconds=shot.duration_seconds,
        camera_move=shot.camera_move,
        keyframe_url=link(shot.keyframe_path),
        clip_url=link(shot.clip_path),
        state="filmed" if shot.clip_path else "keyframed" if shot.keyframe_path else "planned",
        notes=shot.notes,
        # Music mode: the beat-aligned span on the track.
        start_seconds=plan.get("start_seconds"),
        end_seconds=plan.get("end_seconds"),
        # Plans made before transitions read back as cuts filmed from keyframes.
        transition=None if last or not plan else plan.get("transition", "cut"),
        transition_seconds=None if last or not plan else plan.get("transition_seconds", 0.5),
        filmed_from=(plan.get("filmed_from") or "keyframe") if plan else None,
    )


def _final_video_url(project: Project, link: _Links) -> str | None:
    # The final cut is offered only once the whole render has completed.
    if project.status != Status.COMPLETED:
        return None
    return link(project.final_path, download_name=download_name(project.name))


def download_name(project_name: str) -> str:
    """The final video's file name when saved: the project's name, minus path and control marks."""
    cleaned = UNSAFE_IN_FILENAMES.sub(" ", project_name).strip(" .")
    return f"{cleaned or 'render'}.mp4"


def _voice_briefs(assets: list[Asset], link: _Links) -> list[dict[str, Any]]:
    return [{"stage": a.stage, "url": link(a.path)} for a in assets if a.role == "voice_brief"]


def _uploads(assets: list[Asset], link: _Links, render: ResolvedRender) -> list[UploadStatus]:
    described = {a.filename: a for a in render.assets}
    uploads = []
    for a in assets:
        if a.role != "upload":
            continue
        use = described.get(a.filename)
        uploads.append(
            UploadStatus(
                part=a.name,
                filename=a.filename,
                kind=a.kind,
                content_type=a.content_type,
                size_bytes=a.size_bytes,
                used_as=a.used_as,
                label=use.label if use else None,
                purpose=use.purpose if use else None,
                url=link(a.path, download_name=a.filename),
            )
        )
    return uploads


def needs_approval(project: Project) -> bool:
    """True while a storyboard halted for review waits for the user's approval."""
    return project.current_stage == Stage.HALTED_FOR_REVIEW and project.status not in TERMINAL


def is_running(project: Project) -> bool:
    """True while a step of the render may be executing (not halted, not ended)."""
    return (
        project.status in (Status.QUEUED, Status.RUNNING)
        and project.current_stage != Stage.HALTED_FOR_REVIEW
    )


def _counts(shots: list[Shot]) -> ShotCounts:
    return ShotCounts(
        planned=len(shots),
        keyframed=sum(1 for s in shots if s.keyframe_path),
        filmed=sum(1 for s in shots if s.clip_path),
    )


def progress(project: Project, shots: ShotCounts) -> float:
    """Share of the work done, 0 to 1, weighted by stage; per-shot stages count their shots."""
    if project.status == Status.COMPLETED:
        return 1.0
    halted = project.current_stage == Stage.HALTED_FOR_REVIEW
    # A storyboard awaiting review has planning and storyboarding behind it, filming ahead.
    current = Stage.FILMING if halted else project.current_stage
    done = 0.0
    for work in WORK_STAGES:
        if work.stage == current:
            if shots.planned and work.per_shot_output and not halted:
                made = shots.keyframed if work.stage == Stage.STORYBOARDING else shots.filmed
                done += work.weight * made / shots.planned
            return round(done, 3)
        done += work.weight
    return 0.0 if project.current_stage == Stage.INPUT else done


def count_by_status(session: Session) -> dict[str, int]:
    """Renders per status across the studio (every status present, zero included)."""
    return {str(s): 0 for s in Status} | repository.count_by_status(session)
