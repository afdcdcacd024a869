"""The studio pages: the account's projects, a new-project form, and one project's live page.

Server-rendered; studio.js re-fetches a running project's page every second and swaps in
what changed. /api/account/projects... give a signed-in browser the agent API's JSON status.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from fvs.accounts import service as accounts
from fvs.accounts.dependencies import CurrentSession, FormWriter, PageRoute, PageSession, SignedIn
from fvs.config import Settings
from fvs.deps import StudioDep, public_base_url
from fvs.errors import AppError, NotFound, ValidationFailed
from fvs.models.projects import TERMINAL
from fvs.pipeline.context import Studio
from fvs.providers import registry
from fvs.renders import repository, service
from fvs.renders.endpoints import parse_render_request
from fvs.renders.schemas import RenderStatus
from fvs.renders.settings import STAGE_BEHAVIOURS
from fvs.renders.uploads import Upload, sniff

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")
TEMPLATES.env.filters["unsigned"] = lambda url: (url or "").split("?")[0]
router = APIRouter(route_class=PageRoute, include_in_schema=False)
BaseUrl = Annotated[str, Depends(public_base_url)]
TIMELINE = ("planning", "storyboarding", "filming", "production", "completed")
UPLOAD_PART = "reference_image"
CHOICE_FIELDS = ("image_resolution", "video_model", "video_resolution", "stage_behaviour")
NUMBER_FIELDS: dict[str, type[int] | type[float]] = {
    "shot_count": int,
    "scene_target_duration_seconds": float,
}
NOTICES = {
    "cancelled": "The render was cancelled; its unspent credits were returned.",
    "approved": "Storyboard approved: filming has started.",
    "regenerating": "A new keyframe is being painted.",
}


# --- the project list -----------------------------------------------------------------


@router.get("/projects")
def projects_page(
    request: Request, caller: PageSession, studio: StudioDep, base: BaseUrl
) -> Response:
    found = _summaries(studio, caller.account.id, base)
    return _page(request, caller, "projects.html", projects=found)


@router.get("/api/account/projects")
def list_projects(caller: CurrentSession, studio: StudioDep, base: BaseUrl) -> dict[str, Any]:
    return {"projects": _summaries(studio, caller.account.id, base)}


@router.get("/api/account/projects/{project_id}")
def project_status(
    project_id: str, caller: CurrentSession, studio: StudioDep, base: BaseUrl
) -> dict[str, Any]:
    return _status(studio, caller.account.id, project_id, base).model_dump()


# --- a new project --------------------------------------------------------------------


@router.get("/projects/new")
def new_project_page(request: Request, caller: PageSession, studio: StudioDep) -> Response:
    defaults = accounts.effective_defaults(caller.account, studio.settings)
    values = {f: str(defaults.get(f, "")) for f in CHOICE_FIELDS}
    values["stage_voice_briefs_enabled"] = "on" if defaults["stage_voice_briefs_enabled"] else ""
    return _form_page(request, caller, values)


@router.post("/projects")
async def create_project(request: Request, caller: FormWriter, studio: StudioDep) -> Response:
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    try:
        render_request = parse_render_request(_request_json(values))
        uploads = await _uploads(form, studio.settings)
        project_id = await run_in_threadpool(
            studio.db.transact,
            lambda session: (
                service.submit_render(
                    session,
                    account_id=caller.account.id,
                    request=render_request,
                    uploads=uploads,
                    settings=studio.settings,
                    storage=studio.storage,
                ).id
            ),
        )
    except AppError as exc:
        return _form_page(request, caller, values, problem=exc)
    studio.wake()
    return RedirectResponse(f"/projects/{project_id}", status_code=303)


# --- one project ----------------------------------------------------------------------


@router.get("/projects/{project_id}")
def project_page(
    request: Request,
    project_id: str,
    caller: PageSession,
    studio: StudioDep,
    base: BaseUrl,
    done: str = "",
) -> Response:
    return _project_page(request, studio, caller, project_id, base, notice=NOTICES.get(done))


@router.post("/projects/{project_id}/cancel")
def cancel_project(
    request: Request, project_id: str, caller: FormWriter, studio: StudioDep, base: BaseUrl
) -> Response:
    def act(session: Session) -> object:
        return service.cancel_render(session, account_id=caller.account.id, project_id=project_id)

    return _act(request, studio, caller, project_id, base, act, done="cancelled")


@router.post("/projects/{project_id}/approve")
def approve_project(
    request: Request, project_id: str, caller: FormWriter, studio: StudioDep, base: BaseUrl
) -> Response:
    def act(session: Session) -> object:
        return service.approve_render(session, account_id=caller.account.id, project_id=project_id)

    return _act(request, studio, caller, project_id, base, act, done="approved")


@router.post("/projects/{project_id}/shots/{shot_number}/regenerate")
def regenerate_shot(
    request: Request,
    project_id: str,
    shot_number: int,
    caller: FormWriter,
    studio: StudioDep,
    base: BaseUrl,
) -> Response:
    def act(session: Session) -> object:
        return service.regenerate_keyframe(
            session, account_id=caller.account.id, project_id=project_id, shot_number=shot_number
        )

    return _act(request, studio, caller, project_id, base, act, done="regenerating")


# --- helpers --------------------------------------------------------------------------


def _page(
    request: Request, caller: SignedIn, name: str, *, status: int = 200, **context: Any
) -> Response:
    context.update(email=caller.account.email, csrf_token=caller.csrf_token)
    response = TEMPLATES.TemplateResponse(request, name, context, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _status(studio: Studio, account_id: str, project_id: str, base: str) -> RenderStatus:
    with studio.db.read() as session:
        project = service.get_render(session, account_id=account_id, project_id=project_id)
        return service.render_status(
            session,
            project,
            base_url=base,
            secret=studio.settings.resolved_secret,
            ttl_seconds=studio.settings.signed_url_ttl_seconds,
        )


def _summaries(studio: Studio, account_id: str, base: str) -> list[dict[str, Any]]:
    """The account's projects, newest first, as the list page and its JSON show them."""
    settings = studio.settings
    with studio.db.read() as session:
        statuses = [
            service.render_status(
                session,
                project,
                base_url=base,
                secret=settings.resolved_secret,
                ttl_seconds=settings.signed_url_ttl_seconds,
            )
            for project in repository.projects_of(session, account_id)
        ]
    keep = ("project_id", "name", "status", "current_stage", "progress", "clip_count")
    return [
        {
            **s.model_dump(include=set(keep)),
            "shot_count": len(s.shots),
            "credits_settled": s.credits_settled,
            "credits_reserved": s.credits_reserved,
            "created_at": s.created_at,
        }
        for s in statuses
    ]


def _project_page(
    request: Request,
    studio: Studio,
    caller: SignedIn,
    project_id: str,
    base: str,
    *,
    notice: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    try:
        found = _status(studio, caller.account.id, project_id, base)
    except NotFound:
        return _page(request, caller, "project.html", s=None, status=404)
    context = {
        "s": found,
        "timeline": _timeline(found),
        "label": _progress_label(found),
        "percent": _percent(found),
        "terminal": found.status in TERMINAL,
        "halted": found.current_stage == "halted_for_review" and found.status not in TERMINAL,
        "notice": notice,
        "error": error,
    }
    return _page(request, caller, "project.html", status=status, **context)


def _act(
    request: Request,
    studio: Studio,
    caller: SignedIn,
    project_id: str,
    base: str,
    act: Callable[[Session], object],
    *,
    done: str,
) -> Response:
    """Run one project action; success returns to the page, a refusal shows it with the reason."""
    try:
        studio.db.transact(act)
    except AppError as exc:
        return _project_page(
            request, studio, caller, project_id, base, error=exc.message, status=exc.status_code
        )
    studio.wake()
    return RedirectResponse(f"/projects/{project_id}?done={done}", status_code=303)


def _timeline(found: RenderStatus) -> list[dict[str, str]]:
    """Each stage as done, current (or review, failed, stopped) or still to come."""
    halted = found.current_stage == "halted_for_review"
    stage = "storyboarding" if halted else found.current_stage
    at = TIMELINE.index(stage) if stage in TIMELINE else -1
    here = {"failed": "failed", "cancelled": "stopped"}.get(found.status)
    here = here or ("review" if halted else "current")
    states = ["done" if i < at else here if i == at else "todo" for i in range(len(TIMELINE))]
    return [{"name": name, "state": state} for name, state in zip(TIMELINE, states, strict=True)]


def _percent(found: RenderStatus) -> int:
    return round(found.progress * 100)


def _progress_label(found: RenderStatus) -> str:
    stage = found.current_stage.replace("_", " ")
    if found.status == "failed":
        return f"Failed during {stage}"
    if found.status in ("completed", "cancelled"):
        return found.status.capitalize()
    if found.current_stage == "halted_for_review":
        return "Storyboard ready: waiting for your review"
    if found.current_stage == "input":
        return "Queued"
    return f"{stage.capitalize()}…"


def _request_json(values: dict[str, str]) -> dict[str, Any]:
    """The form's fields as the agent API's request_json; blank optional fields are left out."""
    raw: dict[str, Any] = {
        "screenplay": values.get("screenplay", ""),
        "instructions": values.get("instructions", ""),
        "stage_voice_briefs_enabled": values.get("stage_voice_briefs_enabled") == "on",
    }
    if values.get("name", "").strip():
        raw["name"] = values["name"]
    raw.update({f: values[f] for f in CHOICE_FIELDS if values.get(f)})
    for field, kind in NUMBER_FIELDS.items():
        text = values.get(field, "").strip()
        if text:
            try:
                raw[field] = kind(text)
            except ValueError:
                noun = "a whole number" if kind is int else "a number"
                raise ValidationFailed(field, f"enter {noun}, or leave it blank") from None
    return raw


async def _uploads(form: FormData, limits: Settings) -> list[Upload]:
    """The chosen reference files (an empty file input sends a nameless, empty part)."""
    files = [
        f for f in form.getlist(UPLOAD_PART) if isinstance(f, UploadFile) and (f.filename or f.size)
    ]
    if len(files) > limits.max_uploads:
        raise ValidationFailed(UPLOAD_PART, f"attach at most {limits.max_uploads} files")
    found = []
    for upload in files:
        data = await upload.read(limits.max_upload_bytes + 1)
        if len(data) > limits.max_upload_bytes:
            raise ValidationFailed(UPLOAD_PART, f"{upload.filename} is too large")
        found.append(sniff(UPLOAD_PART, upload.filename or UPLOAD_PART, data))
    return found


def _form_page(
    request: Request, caller: SignedIn, values: dict[str, str], problem: AppError | None = None
) -> Response:
    """The new-project form with the given values; a refusal names its field beside the input."""
    errors: dict[str, str] = {}
    if problem is not None:
        errors = {d["field"]: d["message"] for d in reversed(problem.details)}
        if problem.field:
            errors[problem.field] = problem.message
    context = {
        "values": values,
        "errors": errors,
        "error": None if problem is None else _headline(problem, errors),
        "choices": _choices(),
    }
    status = 200 if problem is None else problem.status_code
    return _page(request, caller, "new_project.html", status=status, **context)


def _headline(problem: AppError, errors: dict[str, str]) -> str:
    if problem.field in errors and problem.field in _FORM_FIELDS:
        return "The project was not started: please fix the field marked below."
    return f"The project was not started: {problem.message}"


def _choices() -> dict[str, list[tuple[str, str]]]:
    video = registry.models_for("video")
    images = registry.models_for("image")
    return {
        "video_model": [(m.id, f"{m.title} ({m.id})") for m in video],
        "video_resolution": [
            (r, r) for r in dict.fromkeys(r for m in video for r in m.resolutions)
        ],
        "image_resolution": [
            (r, r) for r in dict.fromkeys(r for m in images for r in m.credits_per_image)
        ],
        "stage_behaviour": [
            (b, {"run_all": "Run all stages", "halt_for_review": "Halt for storyboard review"}[b])
            for b in STAGE_BEHAVIOURS
        ],
    }


_FORM_FIELDS = {
    "name",
    "screenplay",
    "instructions",
    "stage_voice_briefs_enabled",
    UPLOAD_PART,
    *CHOICE_FIELDS,
    *NUMBER_FIELDS,
}
