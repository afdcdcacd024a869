"""The double-entry credits ledger: ledger accounts and append-only transfers.

Modelled on TigerBeetle's two-phase transfers. A `pending` transfer holds
credits; exactly one later transfer resolves it (`post`, `void` or `expire`),
enforced by the unique `pending_id`. Balances are sums over these rows.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from fvs.models.base import Base, UTCDateTime, utcnow

TRANSFER_KINDS = ("single", "pending", "post", "void", "expire")


class LedgerAccount(Base):
    __tablename__ = "ledger_accounts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # "wallet:acct_..", "revenue"
    kind: Mapped[str] = mapped_column(String(16))  # wallet | system
    account_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class Transfer(Base):
    __tablename__ = "transfers"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint("debit_account_id <> credit_account_id", name="distinct_accounts"),
        Index("ix_transfers_debit_kind", "debit_account_id", "kind"),
        Index("ix_transfers_credit_kind", "credit_account_id", "kind"),
    )

    # Transfer ids are idempotency keys: writing the same id twice is a no-op.
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # one of TRANSFER_KINDS
    debit_account_id: Mapped[str] = mapped_column(ForeignKey("ledger_accounts.id"))
    credit_account_id: Mapped[str] = mapped_column(ForeignKey("ledger_accounts.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    # For post/void/expire: the pending transfer it resolves, at most once.
    pending_id: Mapped[str | None] = mapped_column(ForeignKey("transfers.id"), unique=True)
    timeout_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # pending only
    project_id: Mapped[str | None] = mapped_column(String(32), index=True)
    memo: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
