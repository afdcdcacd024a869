"""The agent key as a FastAPI dependency: every agent route names AgentDep."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Security
from fastapi.security import APIKeyHeader
from starlette.concurrency import run_in_threadpool

from fvs.deps import StudioDep
from fvs.keys import service as keys
from fvs.keys.service import Principal
from fvs.keys.verify import KEY_HEADER, authenticate

# Declared for the OpenAPI schema (an apiKey header scheme on every agent route). Our own
# check answers a missing key, so FastAPI's 403 never does.
agent_key_header = APIKeyHeader(
    name=KEY_HEADER,
    scheme_name="AgentKey",
    description="A managed agent key, created on the studio's /settings page.",
    auto_error=False,
)


async def agent_principal(
    studio: StudioDep, clear: Annotated[str | None, Security(agent_key_header)]
) -> Principal:
    """The account behind the X-FVS-Agent-Key header, or 401."""
    secret = studio.settings.resolved_secret
    # A key verified a moment ago needs no thread and no query (fvs.keys.cache).
    remembered = keys.remembered_principal(clear, secret=secret)
    if remembered is not None:
        return remembered
    principal = await run_in_threadpool(authenticate, studio, clear)
    if clear is not None:
        seconds = studio.settings.key_cache_seconds
        keys.remember_principal(clear, principal, secret=secret, seconds=seconds)
    return principal


AgentDep = Annotated[Principal, Depends(agent_principal)]
