"""The agent API routes, exactly as seed/agent-api.txt names them. Thin: parse, call, shape."""

from __future__ import annotations

import json
from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException

from fvs.config import Settings
from fvs.deps import BaseUrlDep, ReadSession, StudioDep, public_base_url
from fvs.errors import UnsupportedMediaType, ValidationFailed, error_responses
from fvs.keys.deps import AgentDep
from fvs.renders import docs, freshness, idempotency, listing, service, submission
from fvs.renders.pacing import StatusPacer
from fvs.renders.schemas import Estimate, RenderStatus, parse_render_request
from fvs.renders.uploads import Upload, read_upload
from fvs.stages import Status

AGENT_PROJECT_PREFIX = "proj_api"
router = APIRouter(prefix="/api/agent", tags=["agent"])
pacer = StatusPacer()


async def read_body(request: Request, limits: Settings) -> tuple[dict[str, Any], list[Upload]]:
    """The request JSON and uploads from a multipart form or a plain JSON body."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    length = request.headers.get("content-length")
    most = limits.max_request_json_bytes + limits.max_uploads * limits.max_upload_bytes + 65536
    if length and length.isdigit() and int(length) > most:
        raise ValidationFailed("body", f"the request body is larger than {most} bytes")
    if ctype == "application/json":
        body = await request.body()
        if len(body) > limits.max_request_json_bytes:
            raise ValidationFailed("request_json", "the JSON body is too large")
        return _decode_json(body), []
    if ctype != "multipart/form-data":
        raise UnsupportedMediaType(
            f"received {ctype or 'no content type'}; send multipart/form-data with the request "
            "JSON in a request_json field (Python requests: "
            'files={"request_json": (None, json.dumps(body))}), '
            "or the JSON itself as application/json",
            field="content-type",
            received=ctype or None,
        )
    return await _read_multipart(request, limits)


async def _read_multipart(
    request: Request, limits: Settings
) -> tuple[dict[str, Any], list[Upload]]:
    try:
        form = await request.form(
            max_files=limits.max_uploads, max_fields=50, max_part_size=limits.max_request_json_bytes
        )
    except (MultiPartException, HTTPException) as exc:
        # Starlette reports part limits as a 400; for us they are a field problem.
        message = getattr(exc, "message", None) or getattr(exc, "detail", "")
        raise ValidationFailed("body", f"multipart body refused: {message}") from None
    raw: str | None = None
    uploads: list[Upload] = []
    for part, value in form.multi_items():
        if part == "request_json":  # a text field, or a file part from some clients
            raw = value if isinstance(value, str) else await _read_json_part(value, limits)
        elif isinstance(value, UploadFile):
            uploads.append(await read_upload(part, value, limit=limits.max_upload_bytes))
        else:
            raise ValidationFailed(part, "unknown form field; put request fields in request_json")
    if raw is None:
        raise ValidationFailed("request_json", "the multipart field request_json is missing")
    return _decode_json(raw.encode()), uploads


async def _read_json_part(value: UploadFile, limits: Settings) -> str:
    data = await value.read(limits.max_request_json_bytes + 1)
    if len(data) > limits.max_request_json_bytes:
        raise ValidationFailed("request_json", "the request JSON is too large")
    return data.decode("utf-8", "replace")


def _decode_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationFailed("request_json", f"not valid JSON: {exc}") from None


@router.post(
    "/renders",
    summary="Submit a render",
    description=(
        "Validate the request, hold its estimated credits and queue the render. Send "
        "multipart/form-data with the RenderRequest JSON in the text field `request_json` "
        "(any file parts are kept as reference assets), or the JSON as an application/json "
        "body. Answers 202 with the status to poll at `status_url`; 200 when the render "
        "completed within `wait_for_completion_seconds`. With an `Idempotency-Key` header a "
        "repeated submit replays the first answer (`Idempotent-Replayed: true`)."
    ),
    status_code=202,
    response_model=RenderStatus,
    response_description="Accepted: queued or running; poll status_url.",
    responses={
        202: docs.example(docs.QUEUED_EXAMPLE, "Accepted: queued or running; poll status_url."),
        200: {
            "model": RenderStatus,
            **docs.example(docs.COMPLETED_EXAMPLE, "Completed within the wait asked for."),
        },
        **error_responses(
            401,
            402,
            409,
            415,
            422,
            503,
            described={409: "A request with this Idempotency-Key is still being accepted."},
        ),
    },
    openapi_extra=docs.submit_operation(),
)
async def create_render(
    request: Request, studio: StudioDep, principal: AgentDep, base_url: BaseUrlDep
) -> JSONResponse:
    raw, uploads = await read_body(request, studio.settings)
    answer = await submission.create_render(
        studio,
        account_id=principal.account_id,
        raw=raw,
        uploads=uploads,
        base_url=base_url,
        idempotency_key=request.headers.get(idempotency.HEADER),
        # Agent API projects are told apart by their id, as the hosted studio's are.
        id_prefix=AGENT_PROJECT_PREFIX,
    )
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else None
    return JSONResponse(answer.body, status_code=answer.status_code, headers=headers)


@router.get(
    "/renders",
    summary="List the account's renders",
    description=(
        "The key's account's renders, newest first, `limit` to a page (1-100, default 20). "
        "Pass `next_cursor` back as `cursor` for the next page; it is null on the last. "
        "`status` keeps renders of one status only. Each item links its full status."
    ),
    responses={
        200: docs.example(docs.PAGE_EXAMPLE, "One page of renders."),
        **error_responses(401, 422),
    },
)
def list_renders(
    session: ReadSession,
    principal: AgentDep,
    base_url: BaseUrlDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: str | None = None,
    status: Status | None = None,
) -> listing.RenderPage:
    return listing.list_page(
        session,
        account_id=principal.account_id,
        limit=limit,
        cursor=cursor,
        status=status,
        base_url=base_url,
    )


@router.post(
    "/renders/estimate",
    summary="Estimate a render's cost",
    description=(
        "The same body as a submit (multipart or JSON). Validates it and answers the "
        "settings it resolves to, `planned_durations`, `credits_estimated` with a per-stage "
        "breakdown, and whether the wallet can afford it. Creates and charges nothing."
    ),
    responses={
        200: docs.example(docs.ESTIMATE_EXAMPLE, "What the request would cost."),
        **error_responses(401, 415, 422),
    },
    openapi_extra=docs.render_request_body(),
)
async def estimate_render(request: Request, studio: StudioDep, principal: AgentDep) -> Estimate:
    raw, _uploads = await read_body(request, studio.settings)
    render_request = parse_render_request(raw)

    def quote() -> Estimate:
        with studio.db.read() as session:
            return service.estimate_render(
                session,
                account_id=principal.account_id,
                request=render_request,
                settings=studio.settings,
            )

    return await to_thread.run_sync(quote)


@router.get(
    "/renders/{project_id}",
    summary="A render's status",
    description=(
        "Poll until `status` is completed, failed or cancelled, or `needs_approval` is "
        "true. `final_video_url` and the shots' URLs are signed and expire; poll again for "
        "fresh ones. Each answer carries an `ETag`: send it back in `If-None-Match` and an "
        "unchanged render answers 304 with no body. While the render is not finished, "
        "`Retry-After` says how many seconds to wait before the next poll."
    ),
    response_model=RenderStatus,
    responses={
        200: docs.example(docs.COMPLETED_EXAMPLE, "The render's status."),
        304: {"description": "Unchanged since the ETag sent in If-None-Match; no body."},
        **error_responses(401, 404),
    },
)
async def get_render(
    project_id: str, request: Request, studio: StudioDep, principal: AgentDep
) -> Response:
    # The hottest route: each dependency costs FastAPI real work, so the origin and
    # If-None-Match are read here rather than declared.
    base_url = await public_base_url(request, studio)
    await pacer.pace(principal.account_id, project_id, studio.settings.status_min_interval_ms)
    polled = await submission.poll_status(
        studio, principal.account_id, project_id, base_url, request.headers.get("if-none-match")
    )
    headers = freshness.headers(polled.version, polled.etag)
    if polled.body is None:
        return Response(status_code=304, headers=headers)
    return Response(polled.body, media_type="application/json", headers=headers)


@router.post(
    "/renders/{project_id}/cancel",
    summary="Cancel a render",
    description=(
        "Stop a queued or running render; its open holds return to the wallet (the "
        "creation charge stays). Cancelling a cancelled render answers 200 again; a "
        "completed or failed one is 409."
    ),
    responses={
        200: docs.example(
            docs.QUEUED_EXAMPLE | {"status": "cancelled", "is_running": False, "run_id": None},
            "The cancelled render's status.",
        ),
        **error_responses(401, 404, 409, 503),
    },
)
async def cancel_render(
    project_id: str, studio: StudioDep, principal: AgentDep, base_url: BaseUrlDep
) -> RenderStatus:
    account_id = principal.account_id
    return await submission.act_then_status(
        studio,
        account_id=account_id,
        project_id=project_id,
        base_url=base_url,
        action=lambda s: service.cancel_render(s, account_id=account_id, project_id=project_id),
    )


@router.post(
    "/renders/{project_id}/approve",
    summary="Approve a storyboard halted for review",
    description=(
        "A render submitted with `stage_behaviour: halt_for_review` stops after "
        "storyboarding (`needs_approval: true`); approving it goes on to filming. 409 "
        "unless it is halted for review."
    ),
    responses={
        200: docs.example(docs.APPROVED_EXAMPLE, "The render, filming again."),
        **error_responses(401, 404, 409, 503),
    },
)
async def approve_render(
    project_id: str, studio: StudioDep, principal: AgentDep, base_url: BaseUrlDep
) -> RenderStatus:
    account_id = principal.account_id
    return await submission.act_then_status(
        studio,
        account_id=account_id,
        project_id=project_id,
        base_url=base_url,
        action=lambda s: service.approve_render(s, account_id=account_id, project_id=project_id),
    )


@router.post(
    "/renders/{project_id}/shots/{shot_number}/regenerate",
    summary="Paint a new take of one shot's keyframe",
    description=(
        "While a storyboard is halted for review: queue a new keyframe for shot "
        "`shot_number` (1-based, each shot's `number`), charged as one image at once. 404 "
        "for a shot the render does not have; 409 unless halted, or while a take is queued."
    ),
    responses={
        200: docs.example(docs.HALTED_EXAMPLE, "The render, still halted."),
        **error_responses(401, 402, 404, 409, 422, 503),
    },
)
async def regenerate_keyframe(
    project_id: str, shot_number: int, studio: StudioDep, principal: AgentDep, base_url: BaseUrlDep
) -> RenderStatus:
    account_id = principal.account_id
    return await submission.act_then_status(
        studio,
        account_id=account_id,
        project_id=project_id,
        base_url=base_url,
        action=lambda s: service.regenerate_keyframe(
            s, account_id=account_id, project_id=project_id, shot_number=shot_number
        ),
    )
