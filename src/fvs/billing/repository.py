"""Ledger queries. Balances are always sums over transfers, never stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ScalarSelect, func, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import ColumnElement

from fvs.models import LedgerAccount, Transfer

GRANTS = "system:grants"
REVENUE = "system:revenue"
SYSTEM_ACCOUNTS = (GRANTS, REVENUE)


def wallet_id(account_id: str) -> str:
    return f"wallet:{account_id}"


@dataclass(frozen=True)
class Balance:
    credits_posted: int
    debits_posted: int
    debits_pending: int

    @property
    def available(self) -> int:
        return self.credits_posted - self.debits_posted - self.debits_pending

    @property
    def balance(self) -> int:
        return self.credits_posted - self.debits_posted


def ensure_system_accounts(session: Session) -> None:
    for ledger_id in SYSTEM_ACCOUNTS:
        if session.get(LedgerAccount, ledger_id) is None:
            session.add(LedgerAccount(id=ledger_id, kind="system"))
    session.flush()


def ensure_wallet(session: Session, account_id: str) -> LedgerAccount:
    wallet = session.get(LedgerAccount, wallet_id(account_id))
    if wallet is None:
        ensure_system_accounts(session)
        wallet = LedgerAccount(id=wallet_id(account_id), kind="wallet", account_id=account_id)
        session.add(wallet)
        session.flush()
    return wallet


def lock_wallet(session: Session, account_id: str) -> LedgerAccount:
    """The wallet row, locked FOR UPDATE (PostgreSQL; SQLite writers are already serial)."""
    ensure_wallet(session, account_id)
    stmt = select(LedgerAccount).where(LedgerAccount.id == wallet_id(account_id))
    return session.scalars(stmt.with_for_update()).one()


def _open_pending() -> ColumnElement[bool]:
    resolution = aliased(Transfer)
    return ~select(resolution.id).where(resolution.pending_id == Transfer.id).exists()


def balance(session: Session, ledger_id: str) -> Balance:
    posted = Transfer.kind.in_(("single", "post"))
    credits = select(func.coalesce(func.sum(Transfer.amount), 0)).where(
        Transfer.credit_account_id == ledger_id, posted
    )
    debits = select(func.coalesce(func.sum(Transfer.amount), 0)).where(
        Transfer.debit_account_id == ledger_id, posted
    )
    pending = select(func.coalesce(func.sum(Transfer.amount), 0)).where(
        Transfer.debit_account_id == ledger_id, Transfer.kind == "pending", _open_pending()
    )
    return Balance(
        credits_posted=int(session.scalar(credits) or 0),
        debits_posted=int(session.scalar(debits) or 0),
        debits_pending=int(session.scalar(pending) or 0),
    )


def get_transfer(session: Session, transfer_id: str) -> Transfer | None:
    return session.get(Transfer, transfer_id)


def resolution_of(session: Session, pending_id: str) -> Transfer | None:
    return session.scalars(select(Transfer).where(Transfer.pending_id == pending_id)).first()


def add_transfer(session: Session, transfer: Transfer) -> Transfer:
    session.add(transfer)
    session.flush()
    return transfer


def open_holds(
    session: Session, *, project_id: str | None = None, expired_before: datetime | None = None
) -> list[Transfer]:
    stmt = select(Transfer).where(Transfer.kind == "pending", _open_pending())
    if project_id is not None:
        stmt = stmt.where(Transfer.project_id == project_id)
    if expired_before is not None:
        stmt = stmt.where(Transfer.timeout_at < expired_before)
    return list(session.scalars(stmt.order_by(Transfer.created_at, Transfer.id)))


def total_held(session: Session) -> int:
    """Credits held by every open hold, across all wallets."""
    stmt = select(func.coalesce(func.sum(Transfer.amount), 0)).where(
        Transfer.kind == "pending", _open_pending()
    )
    return int(session.scalar(stmt) or 0)


def project_settled(session: Session, project_id: str) -> int:
    """Credits posted against a project: single charges plus posted holds."""
    stmt = select(func.coalesce(func.sum(Transfer.amount), 0)).where(
        Transfer.project_id == project_id, Transfer.kind.in_(("single", "post"))
    )
    return int(session.scalar(stmt) or 0)


def settled_column(project_id: ColumnElement[str]) -> ScalarSelect[int]:
    """A correlated subquery: project_settled for each row's project id."""
    stmt = select(func.coalesce(func.sum(Transfer.amount), 0)).where(
        Transfer.project_id == project_id, Transfer.kind.in_(("single", "post"))
    )
    return stmt.scalar_subquery()


def history(
    session: Session, ledger_id: str, *, limit: int, before: tuple[datetime, str] | None
) -> list[Transfer]:
    """Transfers touching a ledger account, newest first, strictly before a (time, id) cursor."""
    stmt = select(Transfer).where(
        (Transfer.debit_account_id == ledger_id) | (Transfer.credit_account_id == ledger_id)
    )
    if before is not None:
        stamp, transfer_id = before
        stmt = stmt.where(
            (Transfer.created_at < stamp)
            | ((Transfer.created_at == stamp) & (Transfer.id < transfer_id))
        )
    order = (Transfer.created_at.desc(), Transfer.id.desc())
    return list(session.scalars(stmt.order_by(*order).limit(limit)))
