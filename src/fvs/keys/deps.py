"""The agent key as a FastAPI dependency: every agent route names AgentDep."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Security
from fastapi.security import APIKeyHeader

from fvs.deps import StudioDep
from fvs.keys.service import Principal
from fvs.keys.verify import KEY_HEADER, principal_of

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
    return await principal_of(studio, clear)


AgentDep = Annotated[Principal, Depends(agent_principal)]
