"""The agent API's rules: submit, look up, cancel, and describe a render."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from fvs.accounts import service as accounts
from fvs.billing import pricing
from fvs.billing import repository as ledger
from fvs.billing import service as billing
from fvs.config import Settings
from fvs.errors import Conflict, NotFound
from fvs.jobs import repository as jobs_repository
from fvs.models import Asset, Project, Run
from fvs.models.base import new_id
from fvs.models.projects import TERMINAL
from fvs.pipeline import repository as pipeline_repo
from fvs.pipeline import state, storyboard
from fvs.renders import repository
from fvs.renders.schemas import RenderRequest, RenderStatus, ShotStatus
from fvs.renders.settings import resolve_render
from fvs.renders.uploads import Upload
from fvs.storage.local import LocalStorage
from fvs.storage.signing import sign_path

STAGE_WEIGHTS = {"planning": 0.05, "storyboarding": 0.15, "filming": 0.7, "production": 0.1}
DELIVERABLE_ROLES = ("upload", "final")


def quote_render(
    session: Session, *, account_id: str, request: RenderRequest, settings: Settings
) -> tuple[dict[str, Any], dict[str, int]]:
    """Resolve and price a request without creating anything."""
    account = accounts.get_account(session, account_id)
    resolved = resolve_render(request, account_defaults=account.defaults, settings=settings)
    return resolved, pricing.estimate(resolved)


def submit_render(
    session: Session,
    *,
    account_id: str,
    request: RenderRequest,
    uploads: list[Upload],
    settings: Settings,
    storage: LocalStorage,
) -> Project:
    """Create the project, its run and first job, and hold its estimated credits."""
    resolved, estimate = quote_render(
        session, account_id=account_id, request=request, settings=settings
    )
    project_id = new_id("proj")
    creation = estimate.pop("creation")
    billing.reserve(
        session,
        account_id=account_id,
        project_id=project_id,
        holds={
            state.hold_id(project_id, stage): amount
            for stage, amount in estimate.items()
            if amount > 0
        },
        timeout=timedelta(seconds=settings.hold_timeout_seconds),
        extra_needed=creation,
    )
    billing.charge(
        session,
        account_id=account_id,
        amount=creation,
        project_id=project_id,
        transfer_id=f"charge:{project_id}:creation",
        memo="project creation",
    )
    run = Run(id=new_id("run"), project_id=project_id)
    project = Project(
        id=project_id,
        account_id=account_id,
        name=resolved["name"],
        settings=resolved,
        active_run_id=run.id,
        providers={},
        notes=[],
        credits_reserved=creation + sum(estimate.values()),
        credits_settled=creation,
    )
    session.add(project)
    session.flush()
    session.add(run)
    for upload in uploads:
        _store_upload(session, storage, project_id, upload)
    state.enqueue(session, project, "plan")
    return project


def _store_upload(session: Session, storage: LocalStorage, project_id: str, upload: Upload) -> None:
    asset_id = new_id("asset")
    relative = f"projects/{project_id}/uploads/{asset_id}-{upload.filename}"
    storage.write_bytes(relative, upload.data)
    session.add(
        Asset(
            id=asset_id,
            project_id=project_id,
            role="upload",
            kind=upload.kind,
            name=upload.part,
            filename=upload.filename,
            content_type=upload.content_type,
            path=relative,
            size_bytes=len(upload.data),
        )
    )


def get_render(session: Session, *, account_id: str, project_id: str) -> Project:
    """The account's render, or 404 (also for another account's id)."""
    project = repository.owned_project(session, project_id=project_id, account_id=account_id)
    if project is None:
        raise NotFound(f"no render {project_id}", field="project_id")
    return project


def cancel_render(session: Session, *, account_id: str, project_id: str) -> Project:
    """Stop a queued or running render and return its unspent credits."""
    project = repository.lock_owned_project(session, project_id=project_id, account_id=account_id)
    if project is None:
        raise NotFound(f"no render {project_id}", field="project_id")
    if project.status == "cancelled":
        return project
    if project.status in ("completed", "failed"):
        raise Conflict(
            f"render {project_id} already {project.status}; nothing to cancel", field="project_id"
        )
    state.finish_run(session, project, "cancelled")
    return project


def _halted(session: Session, account_id: str, project_id: str, action: str) -> Project:
    project = repository.lock_owned_project(session, project_id=project_id, account_id=account_id)
    if project is None:
        raise NotFound(f"no render {project_id}", field="project_id")
    if project.current_stage != "halted_for_review" or project.status in TERMINAL:
        raise Conflict(
            f"render {project_id} is not awaiting review ({project.status}, "
            f"{project.current_stage}); only a halted storyboard can be {action}",
            field="project_id",
        )
    return project


def approve_render(session: Session, *, account_id: str, project_id: str) -> Project:
    """Approve a storyboard halted for review: filming starts."""
    project = _halted(session, account_id, project_id, "approved")
    if jobs_repository.open_steps(session, project_id=project.id, step="repaint"):
        raise Conflict(
            "a regenerated keyframe is still being painted; approve once it is ready",
            field="project_id",
        )
    shots = pipeline_repo.shots(session, project.id)
    storyboard.start_filming(session, project, len(shots))
    return project


def regenerate_keyframe(
    session: Session, *, account_id: str, project_id: str, shot_number: int
) -> Project:
    """Paint a new take of one shot's keyframe (1-based shot number); charged as one image."""
    project = _halted(session, account_id, project_id, "changed")
    shots = pipeline_repo.shots(session, project.id)
    if not 1 <= shot_number <= len(shots):
        raise NotFound(f"render {project_id} has no shot {shot_number}", field="shot_number")
    index = shot_number - 1
    if jobs_repository.open_steps(session, project_id=project.id, step="repaint", shot_index=index):
        raise Conflict(
            f"shot {shot_number}'s keyframe is already being regenerated", field="shot_number"
        )
    take = shots[index].keyframe_version + 1
    billing.charge(
        session,
        account_id=account_id,
        project_id=project.id,
        amount=pricing.image_credits(project.settings, 1),
        transfer_id=f"charge:{project.id}:repaint:{shot_number}:{take}",
        memo=f"keyframe take {take} of shot {shot_number}",
    )
    project.credits_settled = ledger.project_settled(session, project.id)
    jobs_repository.forget_finished(
        session, run_id=str(project.active_run_id), step="repaint", shot_index=index
    )
    state.enqueue(session, project, "repaint", index)
    return project


def render_status(
    session: Session, project: Project, *, base_url: str, secret: bytes, ttl_seconds: int
) -> RenderStatus:
    """The status body: the seed's fields, then ours."""

    def url(path: str | None) -> str | None:
        return (
            f"{base_url}/media/{sign_path(secret, path, ttl_seconds=ttl_seconds)}" if path else None
        )

    shots = pipeline_repo.shots(session, project.id)
    assets = pipeline_repo.assets(session, project.id)
    status_url = f"{base_url}/api/agent/renders/{project.id}"
    return RenderStatus(
        project_id=project.id,
        name=project.name,
        status=project.status,
        current_stage=project.current_stage,
        is_running=project.status in ("queued", "running")
        and project.current_stage != "halted_for_review",
        run_id=project.active_run_id,
        final_video_url=url(project.final_path) if project.status == "completed" else None,
        last_error=project.last_error,
        asset_count=sum(1 for a in assets if a.role in DELIVERABLE_ROLES),
        clip_count=sum(1 for s in shots if s.clip_path),
        status_url=status_url,
        cancel_url=f"{status_url}/cancel",
        progress=_progress(project, shots),
        credits_reserved=project.credits_reserved,
        credits_settled=project.credits_settled,
        stage_providers=project.providers,
        notes=project.notes,
        shots=[
            ShotStatus(
                index=s.index,
                text=s.text,
                duration_seconds=s.duration_seconds,
                camera_move=s.camera_move,
                keyframe_url=url(s.keyframe_path),
                clip_url=url(s.clip_path),
                state="filmed" if s.clip_path else "keyframed" if s.keyframe_path else "planned",
                notes=s.notes,
            )
            for s in shots
        ],
        contact_sheet_url=url(project.contact_sheet_path),
        voice_briefs=[
            {"stage": a.stage, "url": url(a.path)} for a in assets if a.role == "voice_brief"
        ],
        settings=public_settings(project.settings),
        created_at=project.created_at.isoformat(),
        updated_at=project.updated_at.isoformat(),
    )


def public_settings(settings: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in settings.items() if k not in ("screenplay", "instructions")}


def _progress(project: Project, shots: list[Any]) -> float:
    if project.status == "completed":
        return 1.0
    done = 0.0
    # A storyboard awaiting review has planning and storyboarding behind it, filming ahead.
    current = "filming" if project.current_stage == "halted_for_review" else project.current_stage
    for stage, weight in STAGE_WEIGHTS.items():
        if stage == current:
            if shots and stage in ("storyboarding", "filming") and current == project.current_stage:
                field = "keyframe_path" if stage == "storyboarding" else "clip_path"
                done += weight * sum(1 for s in shots if getattr(s, field)) / len(shots)
            break
        done += weight
    else:
        return 0.0 if project.current_stage == "input" else done
    return round(done, 3)
