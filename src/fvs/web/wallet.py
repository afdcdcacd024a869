"""The wallet as the settings page shows it: balances and recent transfers in words."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from fvs.billing import service as billing
from fvs.billing.schemas import WalletEntry

RECENT_TRANSFERS = 8
# A wallet transfer's kind in words; a single transfer is "added" or "charged" by direction.
TRANSFER_WORDS = {"pending": "held", "post": "spent", "void": "released", "expire": "expired"}


def wallet_summary(session: Session, account_id: str) -> dict[str, Any]:
    """Balances and the latest transfers of an account's wallet, ready for a template."""
    balance = billing.wallet_balance(session, account_id=account_id)
    history = billing.wallet_history(session, account_id=account_id, limit=RECENT_TRANSFERS)
    return {"balance": balance, "transfers": [_transfer_row(e) for e in history]}


def _transfer_row(entry: WalletEntry) -> dict[str, Any]:
    """One transfer for people: holds name their stage ("filming stage"), not their ids."""
    hold = entry.hold_id or (entry.id if entry.kind == "pending" else None)
    single = entry.kind not in TRANSFER_WORDS
    sign = ("+" if entry.direction == "in" else "−") if single else ""
    return {
        "created_at": entry.created_at,
        "what": f"{hold.rsplit(':', 1)[-1]} stage" if hold else entry.memo,
        "kind": ("added" if entry.direction == "in" else "charged")
        if single
        else TRANSFER_WORDS[entry.kind],
        "credits": f"{sign}{entry.amount}",
        "direction": entry.direction if single else "",
        "project_id": entry.project_id,
    }
