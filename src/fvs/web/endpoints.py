"""The studio pages: the account's projects, a new-project form, and one project's live page.

Server-rendered; studio.js re-fetches a running project's page every second and swaps in
what changed. /api/account/projects... give a signed-in browser the agent API's JSON status.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from fvs.accounts import service as accounts
from fvs.accounts.deps import CurrentSession, FormWriter, PageRoute, PageSession, SignedIn
from fvs.config import Settings
from fvs.deps import BaseUrlDep, ReadSession, StudioDep
from fvs.errors import AppError, NotFound, ValidationFailed
from fvs.options.defaults import choices
from fvs.renders import service, submission
from fvs.renders.schemas import RenderStatus, RenderSummary
from fvs.renders.uploads import Upload, read_upload
from fvs.stages import TERMINAL, TIMELINE, Stage
from fvs.studio import Studio
from fvs.web.templates import page

router = APIRouter(route_class=PageRoute, include_in_schema=False)
UPLOAD_PART = "reference_image"
CHOICE_FIELDS = (
    "video_model",
    "video_resolution",
    "aspect_ratio",
    "image_model",
    "image_resolution",
    "planner_model",
    "tts_model",
    "stage_behaviour",
)
NUMBER_FIELDS: dict[str, type[int] | type[float]] = {
    "shot_count": int,
    "scene_target_duration_seconds": float,
    "seed": int,
}
FILES_AGAIN = (
    "choose the reference files again: a browser cannot keep chosen files when the form comes back"
)
NOTICES = {
    "cancelled": "The render was cancelled; its unspent credits were returned.",
    "approved": "Storyboard approved: filming has started.",
    "regenerating": "A new keyframe is being painted.",
}


# --- the project list -----------------------------------------------------------------


@router.get("/projects")
def projects_page(request: Request, caller: PageSession, session: ReadSession) -> Response:
    found = service.list_renders(session, account_id=caller.account.id)
    return _page(request, caller, "projects.html", projects=found)


@router.get("/api/account/projects")
def list_projects(caller: CurrentSession, session: ReadSession) -> dict[str, list[RenderSummary]]:
    return {"projects": service.list_renders(session, account_id=caller.account.id)}


@router.get("/api/account/projects/{project_id}")
def project_status(
    project_id: str,
    caller: CurrentSession,
    session: ReadSession,
    studio: StudioDep,
    base: BaseUrlDep,
) -> RenderStatus:
    return _status(session, studio, caller.account.id, project_id, base)


# --- a new project --------------------------------------------------------------------


@router.get("/projects/new")
def new_project_page(request: Request, caller: PageSession, studio: StudioDep) -> Response:
    defaults = accounts.effective_defaults(caller.account, studio.settings)
    values = {f: str(defaults.get(f, "")) for f in CHOICE_FIELDS}
    values["stage_voice_briefs_enabled"] = "on" if defaults["stage_voice_briefs_enabled"] else ""
    return _form_page(request, caller, values)


@router.post("/projects")
async def create_project(
    request: Request, caller: FormWriter, studio: StudioDep, base: BaseUrlDep
) -> Response:
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    try:
        answer = await submission.create_render(
            studio,
            account_id=caller.account.id,
            raw=_request_json(values),
            uploads=await _uploads(form, studio.settings),
            base_url=base,
        )
    except AppError as exc:
        chosen = bool(_chosen_files(form))
        return _form_page(request, caller, values, problem=exc, files_dropped=chosen)
    return RedirectResponse(f"/projects/{answer.body['project_id']}", status_code=303)


# --- one project ----------------------------------------------------------------------


@router.get("/projects/{project_id}")
def project_page(
    request: Request,
    project_id: str,
    caller: PageSession,
    session: ReadSession,
    studio: StudioDep,
    base: BaseUrlDep,
    done: str = "",
) -> Response:
    found = _status_or_none(session, studio, caller.account.id, project_id, base)
    return _project_page(request, caller, found, notice=NOTICES.get(done))


@router.post("/projects/{project_id}/cancel")
async def cancel_project(
    request: Request, project_id: str, caller: FormWriter, studio: StudioDep, base: BaseUrlDep
) -> Response:
    def act(session: Session) -> object:
        return service.cancel_render(session, account_id=caller.account.id, project_id=project_id)

    return await _act(request, studio, caller, project_id, base, act, done="cancelled")


@router.post("/projects/{project_id}/approve")
async def approve_project(
    request: Request, project_id: str, caller: FormWriter, studio: StudioDep, base: BaseUrlDep
) -> Response:
    def act(session: Session) -> object:
        return service.approve_render(session, account_id=caller.account.id, project_id=project_id)

    return await _act(request, studio, caller, project_id, base, act, done="approved")


@router.post("/projects/{project_id}/shots/{shot_number}/regenerate")
async def regenerate_shot(
    request: Request,
    project_id: str,
    shot_number: int,
    caller: FormWriter,
    studio: StudioDep,
    base: BaseUrlDep,
) -> Response:
    def act(session: Session) -> object:
        return service.regenerate_keyframe(
            session, account_id=caller.account.id, project_id=project_id, shot_number=shot_number
        )

    return await _act(request, studio, caller, project_id, base, act, done="regenerating")


# --- helpers --------------------------------------------------------------------------


def _page(
    request: Request, caller: SignedIn, name: str, *, status: int = 200, **context: Any
) -> Response:
    context.update(email=caller.account.email, csrf_token=caller.csrf_token)
    return page(request, name, context, status=status)


def _status(
    session: Session, studio: Studio, account_id: str, project_id: str, base: str
) -> RenderStatus:
    return service.status_of(
        session,
        account_id=account_id,
        project_id=project_id,
        base_url=base,
        settings=studio.settings,
        storage=studio.storage,
    )


def _status_or_none(
    session: Session, studio: Studio, account_id: str, project_id: str, base: str
) -> RenderStatus | None:
    try:
        return _status(session, studio, account_id, project_id, base)
    except NotFound:
        return None


def _project_page(
    request: Request,
    caller: SignedIn,
    found: RenderStatus | None,
    *,
    notice: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    if found is None:
        return _page(request, caller, "project.html", s=None, status=404)
    context = {
        "s": found,
        "timeline": _timeline(found),
        "label": _progress_label(found),
        "percent": round(found.progress * 100),
        "terminal": found.status in TERMINAL,
        "halted": found.current_stage == Stage.HALTED_FOR_REVIEW and found.status not in TERMINAL,
        "notice": notice,
        "error": error,
    }
    return _page(request, caller, "project.html", status=status, **context)


async def _act(
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
        await submission.act_then_status(
            studio, account_id=caller.account.id, project_id=project_id, base_url=base, action=act
        )
    except AppError as exc:
        try:
            found: RenderStatus | None = await submission.current_status(
                studio, caller.account.id, project_id, base
            )
        except NotFound:
            found = None
        return _project_page(request, caller, found, error=exc.message, status=exc.status_code)
    return RedirectResponse(f"/projects/{project_id}?done={done}", status_code=303)


def _timeline(found: RenderStatus) -> list[dict[str, str]]:
    """Each stage as done, current (or review, failed, stopped) or still to come."""
    halted = found.current_stage == Stage.HALTED_FOR_REVIEW
    stage = Stage.STORYBOARDING if halted else found.current_stage
    at = TIMELINE.index(stage) if stage in TIMELINE else -1
    here = {"failed": "failed", "cancelled": "stopped"}.get(found.status)
    here = here or ("review" if halted else "current")
    states = ["done" if i < at else here if i == at else "todo" for i in range(len(TIMELINE))]
    return [{"name": name, "state": state} for name, state in zip(TIMELINE, states, strict=True)]


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
    """The chosen reference files, read and checked."""
    files = _chosen_files(form)
    if len(files) > limits.max_uploads:
        raise ValidationFailed(UPLOAD_PART, f"attach at most {limits.max_uploads} files")
    return [await read_upload(UPLOAD_PART, f, limit=limits.max_upload_bytes) for f in files]


def _chosen_files(form: FormData) -> list[UploadFile]:
    # An empty file input still sends a nameless, empty part.
    return [
        f for f in form.getlist(UPLOAD_PART) if isinstance(f, UploadFile) and (f.filename or f.size)
    ]


def _form_page(
    request: Request,
    caller: SignedIn,
    values: dict[str, str],
    problem: AppError | None = None,
    *,
    files_dropped: bool = False,
) -> Response:
    """The new-project form with the given values; a refusal names its field beside the input."""
    errors: dict[str, str] = {}
    if problem is not None:
        errors = {d["field"]: d["message"] for d in reversed(problem.details)}
        if problem.field:
            errors[problem.field] = problem.message
    if files_dropped:
        # Say so beside the file input, after any problem with the files themselves.
        errors[UPLOAD_PART] = "; ".join(filter(None, (errors.get(UPLOAD_PART), FILES_AGAIN)))
    context = {
        "values": values,
        "errors": errors,
        "error": None if problem is None else _headline(problem, errors),
        "choices": {field: choices(field) for field in CHOICE_FIELDS},
    }
    status = 200 if problem is None else problem.status_code
    return _page(request, caller, "new_project.html", status=status, **context)


def _headline(problem: AppError, errors: dict[str, str]) -> str:
    if problem.field in errors and problem.field in _FORM_FIELDS:
        return "The project was not started: please fix the field marked below."
    return f"The project was not started: {problem.message}"


_FORM_FIELDS = {
    "name",
    "screenplay",
    "instructions",
    "stage_voice_briefs_enabled",
    UPLOAD_PART,
    *CHOICE_FIELDS,
    *NUMBER_FIELDS,
}
