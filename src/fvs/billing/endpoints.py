"""Wallet routes for agents: balances and a paged transfer history."""

from __future__ import annotations

import base64
from datetime import datetime

from fastapi import APIRouter

from fvs.billing import service
from fvs.billing.schemas import TransferPage, WalletBalance
from fvs.deps import ReadSession
from fvs.errors import ValidationFailed
from fvs.keys.deps import AgentDep

router = APIRouter(prefix="/api/agent/wallet", tags=["wallet"])


@router.get("")
def wallet(session: ReadSession, principal: AgentDep) -> WalletBalance:
    balance = service.wallet_balance(session, account_id=principal.account_id)
    return WalletBalance(
        available_credits=balance.available,
        held_credits=balance.debits_pending,
        balance_credits=balance.balance,
    )


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
def transfers(
    session: ReadSession, principal: AgentDep, limit: int = 50, cursor: str | None = None
) -> TransferPage:
    if not 1 <= limit <= 200:
        raise ValidationFailed("limit", "limit must be between 1 and 200")
    page = service.wallet_history(
        session, account_id=principal.account_id, limit=limit + 1, before=_decode_cursor(cursor)
    )
    more = len(page) > limit
    page = page[:limit]
    return TransferPage(
        transfers=page,
        next_cursor=_encode_cursor(page[-1].created_at, page[-1].id) if more else None,
    )
