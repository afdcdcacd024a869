"""The agent API routes, exactly as seed/agent-api.txt names them. Thin: parse, call, shape."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException

from fvs.billing import service as billing
from fvs.config import Settings
from fvs.deps import AgentDep, BaseUrlDep, StudioDep
from fvs.errors import UnsupportedMediaType, ValidationFailed
from fvs.keys.service import Principal
from fvs.models.projects import TERMINAL
from fvs.pipeline.context import Studio
from fvs.renders import idempotency, service
from fvs.renders.pacing import StatusPacer
from fvs.renders.schemas import RenderRequest
from fvs.renders.uploads import Upload, sniff

router = APIRouter(prefix="/api/agent", tags=["agent"])
WAIT_POLL_SECONDS = 0.25
pacer = StatusPacer()


def parse_render_request(raw: Any) -> RenderRequest:
    """Validate a request body; the first problem becomes a 422 naming its field."""
    if not isinstance(raw, dict):
        raise ValidationFailed("request_json", "the request must be a JSON object")
    try:
        return RenderRequest.model_validate(raw)
    except ValidationError as exc:
        details = [
            {"field": ".".join(str(p) for p in e["loc"]) or "request_json", "message": _plain(e)}
            for e in exc.errors()
        ]
        first = details[0]
        raise ValidationFailed(first["field"], first["message"], details=details) from None


def _plain(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown field"
    if error["type"] == "missing":
        return "this field is required"
    return str(error["msg"])


async def read_body(request: Request, studio: Studio) -> tuple[dict[str, Any], list[Upload]]:
    """The request JSON and uploads from a multipart form or a plain JSON body."""
    limits = studio.settings
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
            uploads.append(await _read_upload(part, value, limits.max_upload_bytes))
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


async def _read_upload(part: str, value: UploadFile, limit: int) -> Upload:
    data = await value.read(limit + 1)
    if len(data) > limit:
        raise ValidationFailed(part, f"the uploaded file is larger than {limit} bytes")
    return sniff(part, value.filename or part, data)


def _decode_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationFailed("request_json", f"not valid JSON: {exc}") from None


def _status_body(studio: Studio, account_id: str, project_id: str, base_url: str) -> dict[str, Any]:
    with studio.db.read() as session:
        project = service.get_render(session, account_id=account_id, project_id=project_id)
        status = service.render_status(
            session,
            project,
            base_url=base_url,
            secret=studio.settings.resolved_secret,
            ttl_seconds=studio.settings.signed_url_ttl_seconds,
        )
    return status.model_dump()


async def _wait_for(
    studio: Studio, account_id: str, project_id: str, base_url: str, seconds: float
) -> dict[str, Any]:
    deadline = time.monotonic() + min(seconds, studio.settings.max_wait_seconds)
    while True:
        body = await run_in_threadpool(_status_body, studio, account_id, project_id, base_url)
        if body["status"] in TERMINAL or time.monotonic() >= deadline:
            return body
        await asyncio.sleep(WAIT_POLL_SECONDS)


async def _claim(
    studio: Studio, account_id: str, key: str, request_hash: str
) -> idempotency.Replay | None:
    try:
        return await run_in_threadpool(
            studio.db.transact,
            lambda s: idempotency.claim(
                s, account_id=account_id, key=key, request_hash=request_hash
            ),
        )
    except IntegrityError:  # a concurrent twin inserted the same key first
        raise idempotency.IdempotencyKeyInUse(
            "a request with this Idempotency-Key is still being accepted", field=idempotency.HEADER
        ) from None


@router.post("/renders")
async def create_render(
    request: Request, studio: StudioDep, principal: AgentDep, base_url: BaseUrlDep
) -> JSONResponse:
    raw, uploads = await read_body(request, studio)
    render_request = parse_render_request(raw)
    account_id = principal.account_id
    key = request.headers.get(idempotency.HEADER)
    if key is not None:
        key = idempotency.check_key(key)
        replay = await _claim(studio, account_id, key, idempotency.fingerprint(raw, uploads))
        if replay is not None:
            body = replay.body or await run_in_threadpool(
                _status_body, studio, account_id, str(replay.project_id), base_url
            )
            return JSONResponse(
                body, status_code=replay.status_code, headers={"Idempotent-Replayed": "true"}
            )

    def submit(session: Session) -> str:
        project = service.submit_render(
            session,
            account_id=account_id,
            request=render_request,
            uploads=uploads,
            settings=studio.settings,
            storage=studio.storage,
        )
        if key is not None:
            idempotency.bind_project(session, account_id=account_id, key=key, project_id=project.id)
        return project.id

    try:
        project_id = await run_in_threadpool(studio.db.transact, submit)
    except Exception:
        if key is not None:
            await run_in_threadpool(
                studio.db.transact, lambda s: idempotency.release(s, account_id=account_id, key=key)
            )
        raise
    studio.wake()
    body = await _wait_for(
        studio, account_id, project_id, base_url, render_request.wait_for_completion_seconds
    )
    status_code = 200 if body["status"] == "completed" else 202
    if key is not None:
        await run_in_threadpool(
            studio.db.transact,
            lambda s: idempotency.store_answer(
                s, account_id=account_id, key=key, status_code=status_code, body=body
            ),
        )
    return JSONResponse(body, status_code=status_code)


@router.post("/renders/estimate")
async def estimate_render(
    request: Request, studio: StudioDep, principal: AgentDep
) -> dict[str, Any]:
    raw, _uploads = await read_body(request, studio)
    render_request = parse_render_request(raw)

    def quote() -> dict[str, Any]:
        with studio.db.read() as session:
            resolved, stages = service.quote_render(
                session,
                account_id=principal.account_id,
                request=render_request,
                settings=studio.settings,
            )
            available = billing.wallet_balance(session, account_id=principal.account_id).available
        total = sum(stages.values())
        return {
            "settings": service.public_settings(resolved),
            "planned_durations": resolved["planned_durations"],
            "credits_estimated": total,
            "credits_breakdown": stages,
            "available_credits": available,
            "affordable": available >= total,
        }

    return await run_in_threadpool(quote)


@router.get("/renders/{project_id}")
async def get_render(
    project_id: str, studio: StudioDep, principal: AgentDep, base_url: BaseUrlDep
) -> dict[str, Any]:
    await pacer.pace(principal.key_id, project_id, studio.settings.status_min_interval_ms)
    return await run_in_threadpool(_status_body, studio, principal.account_id, project_id, base_url)


@router.post("/renders/{project_id}/cancel")
async def cancel_render(
    project_id: str, studio: StudioDep, principal: AgentDep, base_url: BaseUrlDep
) -> dict[str, Any]:
    return await _act_then_status(
        studio,
        principal,
        project_id,
        base_url,
        lambda s: service.cancel_render(s, account_id=principal.account_id, project_id=project_id),
    )


async def _act_then_status(
    studio: Studio,
    principal: Principal,
    project_id: str,
    base_url: str,
    action: Callable[[Session], object],
) -> dict[str, Any]:
    """Run one state-changing service call, wake the workers, answer with the status."""
    await run_in_threadpool(studio.db.transact, action)
    studio.wake()
    return await run_in_threadpool(_status_body, studio, principal.account_id, project_id, base_url)


@router.post("/renders/{project_id}/approve")
async def approve_render(
    project_id: str, studio: StudioDep, principal: AgentDep, base_url: BaseUrlDep
) -> dict[str, Any]:
    return await _act_then_status(
        studio,
        principal,
        project_id,
        base_url,
        lambda s: service.approve_render(s, account_id=principal.account_id, project_id=project_id),
    )


@router.post("/renders/{project_id}/shots/{shot_number}/regenerate")
async def regenerate_keyframe(
    project_id: str, shot_number: int, studio: StudioDep, principal: AgentDep, base_url: BaseUrlDep
) -> dict[str, Any]:
    return await _act_then_status(
        studio,
        principal,
        project_id,
        base_url,
        lambda s: service.regenerate_keyframe(
            s, account_id=principal.account_id, project_id=project_id, shot_number=shot_number
        ),
    )
