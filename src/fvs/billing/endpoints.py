"""Wallet routes for agents: balances and a paged transfer history."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from fvs.billing import service
from fvs.deps import AgentDep, StudioDep
from fvs.errors import ValidationFailed

router = APIRouter(prefix="/api/agent/wallet", tags=["wallet"])


@router.get("")
async def wallet(studio: StudioDep, principal: AgentDep) -> dict[str, int]:
    def read() -> dict[str, int]:
        with studio.db.read() as session:
            balance = service.wallet_balance(session, account_id=principal.account_id)
        return {
            "available_credits": balance.available,
            "held_credits": balance.debits_pending,
            "balance_credits": balance.balance,
        }

    return await run_in_threadpool(read)


def _decode_cursor(cursor: str | None) -> tuple[datetime, str] | None:
    if not cursor:
        return None
    try:
        stamp, transfer_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        return datetime.fromisoformat(stamp), transfer_id
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed("cursor", "not a cursor this API returned") from None


def _encode_cursor(created_at: datetime, transfer_id: str) -> str:
    return base64.urlsafe_b64encode(f"{created_at.isoformat()}|{transfer_id}".encode()).decode()


@router.get("/transfers")
async def transfers(
    studio: StudioDep, principal: AgentDep, limit: int = 50, cursor: str | None = None
) -> dict[str, Any]:
    if not 1 <= limit <= 200:
        raise ValidationFailed("limit", "limit must be between 1 and 200")
    after = _decode_cursor(cursor)

    def read() -> dict[str, Any]:
        with studio.db.read() as session:
            page = service.wallet_history(
                session, account_id=principal.account_id, limit=limit + 1, before=after
            )
        more = len(page) > limit
        page = page[:limit]
        return {
            "transfers": [e.to_json() for e in page],
            "next_cursor": _encode_cursor(page[-1].created_at, page[-1].id) if more else None,
        }

    return await run_in_threadpool(read)
