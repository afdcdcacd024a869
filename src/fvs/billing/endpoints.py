"""Wallet routes for agents: balances and a paged transfer history."""

from __future__ import annotations

from fastapi import APIRouter

from fvs.billing import service
from fvs.billing.schemas import TransferPage, WalletBalance
from fvs.deps import ReadSession
from fvs.errors import ValidationFailed, error_responses
from fvs.keys.deps import AgentDep
from fvs.paging import decode_cursor, encode_cursor

router = APIRouter(prefix="/api/agent/wallet", tags=["wallet"])


@router.get(
    "",
    summary="The wallet's balance",
    description=(
        "Credits of the key's account: `available_credits` (what a new render can hold), "
        "`held_credits` (held by unfinished renders) and `balance_credits` (posted)."
    ),
    responses={
        200: {
            "description": "The wallet's balance.",
            "content": {
                "application/json": {
                    "example": {
                        "available_credits": 923,
                        "held_credits": 40,
                        "balance_credits": 963,
                    }
                }
            },
        },
        **error_responses(401),
    },
)
def wallet(session: ReadSession, principal: AgentDep) -> WalletBalance:
    balance = service.wallet_balance(session, account_id=principal.account_id)
    return WalletBalance(
        available_credits=balance.available,
        held_credits=balance.debits_pending,
        balance_credits=balance.balance,
    )


@router.get(
    "/transfers",
    summary="The wallet's transfers",
    description=(
        "Newest first, `limit` to a page (1-200, default 50); pass `next_cursor` back as "
        "`cursor` for the next page. A render holds credits per stage (`kind: pending`), "
        "posts what each stage used (`post`) and releases the rest (`void`, direction "
        "`released`); `hold_id` ties them together."
    ),
    responses={
        200: {
            "description": "One page of transfers.",
            "content": {
                "application/json": {
                    "example": {
                        "transfers": [
                            {
                                "id": "hold:proj_33e9410819a7fdc1:filming:post",
                                "kind": "post",
                                "direction": "out",
                                "amount": 24,
                                "project_id": "proj_33e9410819a7fdc1",
                                "memo": "post hold:proj_33e9410819a7fdc1:filming",
                                "hold_id": "hold:proj_33e9410819a7fdc1:filming",
                                "created_at": "2026-11-28T05:27:28.223124+00:00",
                            }
                        ],
                        "next_cursor": "MjAyNi0xMS0yOFQwNToyNzoyOC4yMjMxMjQrMDA6MDB8aG9sZA==",
                    }
                }
            },
        },
        **error_responses(401, 422),
    },
)
def transfers(
    session: ReadSession, principal: AgentDep, limit: int = 50, cursor: str | None = None
) -> TransferPage:
    if not 1 <= limit <= 200:
        raise ValidationFailed("limit", "limit must be between 1 and 200")
    page = service.wallet_history(
        session, account_id=principal.account_id, limit=limit + 1, before=decode_cursor(cursor)
    )
    more = len(page) > limit
    page = page[:limit]
    return TransferPage(
        transfers=page,
        next_cursor=encode_cursor(page[-1].created_at, page[-1].id) if more else None,
    )
