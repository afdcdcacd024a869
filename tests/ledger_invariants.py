"""Ledger checks run after every test that built a studio."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from fvs.billing import repository as ledger
from fvs.models import LedgerAccount, Transfer
from fvs.studio import Studio


def assert_ledger_consistent(studio: Studio) -> None:
    """Every transfer balances, the whole ledger nets to zero, and wallets match a recount."""
    with studio.db.read() as session:
        transfers = list(session.scalars(select(Transfer)))
        wallets = list(session.scalars(select(LedgerAccount).where(LedgerAccount.kind == "wallet")))
        by_id = {t.id: t for t in transfers}
        net: dict[str, int] = defaultdict(int)
        pending: dict[str, int] = defaultdict(int)
        resolved = {t.pending_id for t in transfers if t.pending_id}
        for t in transfers:
            assert t.amount >= 0 and t.debit_account_id != t.credit_account_id
            if t.kind in ("single", "post"):
                net[t.debit_account_id] -= t.amount
                net[t.credit_account_id] += t.amount
            elif t.kind == "pending" and t.id not in resolved:
                pending[t.debit_account_id] += t.amount
            if t.pending_id:
                hold = by_id[t.pending_id]
                assert hold.kind == "pending" and t.amount <= hold.amount
                assert (t.debit_account_id, t.credit_account_id) == (
                    hold.debit_account_id,
                    hold.credit_account_id,
                )
        assert sum(net.values()) == 0
        for wallet in wallets:
            balance = ledger.balance(session, wallet.id)
            assert balance.balance == net[wallet.id], wallet.id
            assert balance.debits_pending == pending[wallet.id], wallet.id
            assert balance.available >= 0, wallet.id
