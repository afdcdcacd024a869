"""The agent API routes, exactly as seed/agent-api.txt names them. Thin: parse, call, shape."""

from __future__ import annotations

import json
from typing import Any

from anyio import to_thread
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException

from fvs.config import Settings
from fvs.deps import BaseUrlDep, StudioDep
from fvs.errors import UnsupportedMediaType, ValidationFailed
from fvs.keys.deps import AgentDep
from fvs.renders import idempotency, service, submission
from fvs.renders.pacing import StatusPacer
from fvs.renders.schemas import Estimate, RenderStatus, parse_render_request
from fvs.renders.uploads import Upload, read_upload

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
            "send multipart/form-data with a request_json field, or application/json",
            field="content-type",
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


@router.post("/renders")
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
    )
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else None
    return JSONResponse(answer.body, status_code=answer.status_code, headers=headers)


@router.post("/renders/estimate")
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


@router.get("/renders/{project_id}")
async def get_render(
    project_id: str, studio: StudioDep, principal: AgentDep, base_url: BaseUrlDep
) -> RenderStatus:
    await pacer.pace(principal.key_id, project_id, studio.settings.status_min_interval_ms)
    return await submission.current_status(studio, principal.account_id, project_id, base_url)


@router.post("/renders/{project_id}/cancel")
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


@router.post("/renders/{project_id}/approve")
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


@router.post("/renders/{project_id}/shots/{shot_number}/regenerate")
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
