"""The wallet's API bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, PlainSerializer

# Timestamps as Python writes them (2026-11-28T03:52:03.123456+00:00), as the API always has.
IsoDateTime = Annotated[datetime, PlainSerializer(lambda d: d.isoformat(), return_type=str)]


class WalletBalance(BaseModel):
    available_credits: int
    held_credits: int
    balance_credits: int


class WalletEntry(BaseModel):
    """One transfer as the wallet owner sees it.

    kind: single (posted at once), pending (a hold), post (what a hold spent),
    void/expire (a hold released). direction: in (credits the wallet), out (debits it),
    or released (a hold returned: nothing was spent).
    """

    id: str
    kind: str
    direction: str
    amount: int
    project_id: str | None
    memo: str
    hold_id: str | None
    created_at: IsoDateTime


class TransferPage(BaseModel):
    transfers: list[WalletEntry]
    next_cursor: str | None
