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

from fvs.accounts import service as accounts
from fvs.accounts.deps import (
    CurrentSession,
    FormWriter,
    PageRoute,
    PageSession,
    SignedIn,
    read_form,
)
from fvs.deps import BaseUrlDep, ReadSession, StudioDep
from fvs.errors import AppError, NotFound
from fvs.options.defaults import choices
from fvs.renders import service, submission
from fvs.renders.schemas import RenderStatus, RenderSummary
from fvs.stages import TERMINAL, TIMELINE, Stage
from fvs.studio import Studio
from fvs.web import project_form as forms
from fvs.web.music_view import ProjectMusic, project_music, waveform_png
from fvs.web.templates import page

# The new-project form: its settings, 64 shot rows of three fields, file rows, the token.
FORM_FIELDS = 400

router = APIRouter(route_class=PageRoute, include_in_schema=False)
FILES_AGAIN = "choose the files again: a browser cannot keep chosen files when the form comes back"
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
    values = {f: str(defaults.get(f, "")) for f in (*forms.CHOICE_FIELDS, "project_mode")}
    values["stage_voice_briefs_enabled"] = "on" if defaults["stage_voice_briefs_enabled"] else ""
    return _form_page(request, caller, values, forms.Rows(shots=[], assets=[]))


@router.post("/projects")
async def create_project(
    request: Request, caller: FormWriter, studio: StudioDep, base: BaseUrlDep
) -> Response:
    limits = studio.settings
    # The same part limits as the agent API's multipart submit, plus the form's own rows.
    form = await read_form(
        request,
        max_files=limits.max_uploads,
        max_fields=FORM_FIELDS,
        max_part_size=limits.max_request_json_bytes,
    )
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    rows = forms.posted_rows(form)
    try:
        answer = await submission.create_render(
            studio,
            account_id=caller.account.id,
            raw=forms.request_json(values, rows),
            uploads=await forms.read_uploads(form, rows, studio.settings),
            base_url=base,
        )
    except AppError as exc:
        chosen = any(forms.is_chosen(f) for k, f in form.multi_items() if k != "csrf_token")
        return _form_page(request, caller, values, rows, problem=exc, files_dropped=chosen)
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
    waveform = found is not None and _music_of(session, caller.account.id, project_id) is not None
    return _project_page(request, caller, found, notice=NOTICES.get(done), waveform=waveform)


@router.get("/projects/{project_id}/waveform.png")
def project_waveform(
    project_id: str, caller: PageSession, session: ReadSession, studio: StudioDep
) -> Response:
    project = service.get_render(session, account_id=caller.account.id, project_id=project_id)
    music = project_music(project)
    if music is None:
        raise NotFound(f"render {project_id} has no track", field="project_id")
    png = waveform_png(project, music, studio.storage)
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=300"})


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


def _music_of(session: Session, account_id: str, project_id: str) -> ProjectMusic | None:
    project = service.get_render(session, account_id=account_id, project_id=project_id)
    return project_music(project)


def _project_page(
    request: Request,
    caller: SignedIn,
    found: RenderStatus | None,
    *,
    notice: str | None = None,
    error: str | None = None,
    status: int = 200,
    waveform: bool = False,
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
        "waveform": waveform,
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


def _form_page(
    request: Request,
    caller: SignedIn,
    values: dict[str, str],
    rows: forms.Rows,
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
        part = forms.ASSET_PART
        errors[part] = "; ".join(filter(None, (errors.get(part), FILES_AGAIN)))
    context = {
        "values": values,
        "rows": rows,
        "errors": errors,
        "error": None if problem is None else _headline(problem, errors),
        "choices": {field: choices(field) for field in forms.CHOICE_FIELDS},
        "modes": forms.MODE_LABELS,
        "purposes": forms.PURPOSES,
    }
    status = 200 if problem is None else problem.status_code
    return _page(request, caller, "new_project.html", status=status, **context)


def _headline(problem: AppError, errors: dict[str, str]) -> str:
    if problem.field in errors and forms.on_form(problem.field):
        return "The project was not started: please fix the field marked below."
    return f"The project was not started: {problem.message}"
