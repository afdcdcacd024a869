"""Who a presented agent key belongs to: the one check every agent surface runs.

The JSON API (fvs.keys.deps) and the MCP endpoint (fvs.mcp.http) both await
`principal_of`, so a key that works on one works on the other, a revoked or expired
key fails on both with the same 401, and both trust a key verified a moment ago
without a thread or a query (fvs.keys.cache).
"""

from __future__ import annotations

from collections.abc import Mapping

from anyio import to_thread

from fvs.keys import service as keys
from fvs.keys.service import Principal
from fvs.studio import Studio

KEY_HEADER = "X-FVS-Agent-Key"


async def principal_of(studio: Studio, clear: str | None) -> Principal:
    """The account behind a clear key, or Unauthorized; from the key cache when it can."""
    secret = studio.settings.resolved_secret
    remembered = keys.remembered_principal(clear, secret=secret)
    if remembered is not None:
        return remembered
    principal = await to_thread.run_sync(authenticate, studio, clear)
    if clear is not None:
        seconds = studio.settings.key_cache_seconds
        keys.remember_principal(clear, principal, secret=secret, seconds=seconds)
    return principal


def authenticate(studio: Studio, clear: str | None) -> Principal:
    """The account behind a clear key, or Unauthorized; records use at most once a minute."""
    secret = studio.settings.resolved_secret
    with studio.db.read() as session:
        principal = keys.verify_key(session, clear=clear, secret=secret)
    if principal.last_used_stale:
        studio.db.transact(lambda s: keys.touch_last_used(s, key_id=principal.key_id))
    return principal


def presented_key(headers: Mapping[str, str]) -> str | None:
    """The key from X-FVS-Agent-Key, else from `Authorization: Bearer <key>`; None if neither."""
    key = headers.get(KEY_HEADER.lower()) or headers.get(KEY_HEADER)
    if key:
        return key
    scheme, _, token = (headers.get("authorization") or "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None
