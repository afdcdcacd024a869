"""FastAPI dependency shortcuts shared by every router."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from fvs.keys import service as keys
from fvs.keys.service import Principal
from fvs.pipeline.context import Studio

KEY_HEADER = "X-FVS-Agent-Key"


def get_studio(request: Request) -> Studio:
    studio: Studio = request.app.state.studio
    return studio


StudioDep = Annotated[Studio, Depends(get_studio)]


def _verify(studio: Studio, clear: str | None) -> Principal:
    secret = studio.settings.resolved_secret
    with studio.db.read() as session:
        principal = keys.verify_key(session, clear=clear, secret=secret)
    if principal.last_used_stale:
        studio.db.transact(lambda s: keys.touch_last_used(s, key_id=principal.key_id))
    return principal


async def agent_principal(request: Request, studio: StudioDep) -> Principal:
    """The account behind the X-FVS-Agent-Key header, or 401."""
    return await run_in_threadpool(_verify, studio, request.headers.get(KEY_HEADER))


AgentDep = Annotated[Principal, Depends(agent_principal)]


def public_base_url(request: Request, studio: StudioDep) -> str:
    """Our origin as the client sees it: FVS_PUBLIC_BASE_URL, else the proxy headers."""
    if studio.settings.public_base_url:
        return studio.settings.public_base_url.rstrip("/")
    proto = request.headers.get("x-forwarded-proto", request.url.scheme).split(",")[0].strip()
    host = (
        request.headers.get("x-forwarded-host") or request.headers.get("host") or request.url.netloc
    )
    return f"{proto}://{host.split(',')[0].strip()}"


BaseUrlDep = Annotated[str, Depends(public_base_url)]
