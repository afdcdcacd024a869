"""Credits: grants, two-phase holds for renders, settlement and release.

Every transfer id is an idempotency key: repeating an operation with the same
id returns the first result and moves no credits.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect
from sqlalchemy.orm import Session

from fvs.billing import repository as ledger
from fvs.billing.repository import GRANTS, REVENUE, Balance, wallet_id
from fvs.billing.schemas import WalletEntry
from fvs.errors import AppError, Conflict, ValidationFailed
from fvs.models import Transfer
from fvs.models.base import utcnow

# The estimate's key for the one-off charge made when a render is accepted.
CREATION = "creation"


class InsufficientCredits(AppError):
    status_code = 402
    code = "insufficient_credits"

    def __init__(self, *, needed: int, available: int, how_to_add: str | None = None) -> None:
        message = f"this render needs {needed} credits; the wallet has {available} available"
        extra: dict[str, Any] = {"how_to_add_credits": how_to_add} if how_to_add else {}
        super().__init__(
            f"{message}. {how_to_add}" if how_to_add else message,
            needed=needed,
            available=available,
            **extra,
        )

    def advised(self, how_to_add: str) -> InsufficientCredits:
        """The same refusal, saying how credits are added on this studio."""
        return InsufficientCredits(
            needed=self.extra["needed"], available=self.extra["available"], how_to_add=how_to_add
        )


def how_to_add_credits(*, topup_url: str | None, email: str, short_by: int) -> str:
    """What a person short of credits does next on this studio: a top-up page, or the operator."""
    if topup_url:
        return f"Add credits at {topup_url}"
    return (
        "Credits are added by this studio's operator, who runs "
        f"`fvs credits grant {email} {max(short_by, 1)}` on the studio's machine"
    )


SIGNUP_GRANT_MEMO = "sign-up credits"


def grant_signup_credits(session: Session, *, account_id: str, amount: int) -> Transfer | None:
    """Grant a new account its sign-up credits, once (the transfer id is the account's)."""
    if amount <= 0:
        return None
    return grant(
        session,
        account_id=account_id,
        amount=amount,
        transfer_id=f"grant:signup:{account_id}",
        memo=SIGNUP_GRANT_MEMO,
    )


def open_wallet(session: Session, *, account_id: str) -> None:
    """Give an account its empty wallet (idempotent)."""
    ledger.ensure_wallet(session, account_id)


def wallet_balance(session: Session, *, account_id: str) -> Balance:
    """The account wallet's posted, pending and available credits."""
    ledger.ensure_wallet(session, account_id)
    return ledger.balance(session, wallet_id(account_id))


def wallet_history(
    session: Session, *, account_id: str, limit: int, before: tuple[datetime, str] | None = None
) -> list[WalletEntry]:
    """The wallet's transfers, newest first; posts and voids name their hold."""
    wallet = wallet_id(account_id)
    return [
        WalletEntry(
            id=t.id,
            kind=t.kind,
            direction=_direction(t, wallet),
            amount=t.amount,
            project_id=t.project_id,
            memo=t.memo,
            created_at=t.created_at,
            hold_id=t.pending_id,
        )
        for t in ledger.history(session, wallet, limit=limit, before=before)
    ]


def _direction(transfer: Transfer, wallet: str) -> str:
    # A void or expiry returns a hold: nothing left the wallet, so it is neither in nor out.
    if transfer.kind in ("void", "expire"):
        return "released"
    return "in" if transfer.credit_account_id == wallet else "out"


def grant(
    session: Session, *, account_id: str, amount: int, transfer_id: str, memo: str = "grant"
) -> Transfer:
    """Add credits to a wallet from the system grants account."""
    if amount <= 0:
        raise ValidationFailed("amount", "a grant must be a positive number of credits")
    ledger.ensure_wallet(session, account_id)
    existing = ledger.get_transfer(session, transfer_id)
    if existing is not None:
        return existing
    return ledger.add_transfer(
        session,
        Transfer(
            id=transfer_id,
            kind="single",
            debit_account_id=GRANTS,
            credit_account_id=wallet_id(account_id),
            amount=amount,
            memo=memo,
        ),
    )


def charge(
    session: Session,
    *,
    account_id: str,
    amount: int,
    transfer_id: str,
    project_id: str | None,
    memo: str,
) -> Transfer:
    """Spend credits at once (no hold), or raise InsufficientCredits."""
    existing = ledger.get_transfer(session, transfer_id)
    if existing is not None:
        return existing
    ledger.lock_wallet(session, account_id)
    available = ledger.balance(session, wallet_id(account_id)).available
    if available < amount:
        raise InsufficientCredits(needed=amount, available=available)
    return ledger.add_transfer(
        session,
        Transfer(
            id=transfer_id,
            kind="single",
            debit_account_id=wallet_id(account_id),
            credit_account_id=REVENUE,
            amount=amount,
            project_id=project_id,
            memo=memo,
        ),
    )


def reserve(
    session: Session,
    *,
    account_id: str,
    holds: dict[str, int],
    project_id: str,
    timeout: timedelta,
    extra_needed: int = 0,
) -> list[Transfer]:
    """Place pending holds (transfer id -> amount) together, or raise InsufficientCredits."""
    # Lock the wallet row so two renders cannot spend the same credits.
    ledger.lock_wallet(session, account_id)
    new = {
        tid: amount for tid, amount in holds.items() if ledger.get_transfer(session, tid) is None
    }
    needed = sum(new.values()) + extra_needed
    available = ledger.balance(session, wallet_id(account_id)).available
    if available < needed:
        raise InsufficientCredits(needed=needed, available=available)
    deadline = utcnow() + timeout
    return [
        ledger.add_transfer(
            session,
            Transfer(
                id=tid,
                kind="pending",
                debit_account_id=wallet_id(account_id),
                credit_account_id=REVENUE,
                amount=amount,
                project_id=project_id,
                timeout_at=deadline,
                memo=tid,
            ),
        )
        for tid, amount in new.items()
    ]


def settle(session: Session, *, hold_id: str, amount: int) -> Transfer:
    """Post up to the held amount; the rest returns to the wallet. Exactly once."""
    hold = _pending(session, hold_id)
    done = ledger.resolution_of(session, hold_id)
    if done is not None:
        if done.kind == "post" and done.amount == amount:
            return done
        raise Conflict(f"hold {hold_id} was already {done.kind}ed", code_detail=done.kind)
    if not 0 <= amount <= hold.amount:
        raise ValueError(f"cannot post {amount} of a {hold.amount}-credit hold")
    return _resolve(session, hold, "post", amount)


def release(session: Session, *, hold_id: str, kind: str = "void") -> Transfer | None:
    """Void (or expire) a hold that is still pending; no-op if already resolved."""
    hold = _pending(session, hold_id)
    if ledger.resolution_of(session, hold_id) is not None:
        return None
    return _resolve(session, hold, kind, hold.amount)


def release_project_holds(session: Session, *, project_id: str) -> int:
    """Void every open hold of a project; returns the credits returned."""
    holds = ledger.open_holds(session, project_id=project_id)
    for hold in holds:
        _resolve(session, hold, "void", hold.amount)
    return sum(h.amount for h in holds)


def expire_overdue_holds(session: Session, *, now: datetime | None = None) -> list[Transfer]:
    """Expire holds past their deadline (their render's worker died); returns them."""
    holds = ledger.open_holds(session, expired_before=now or utcnow())
    for hold in holds:
        _resolve(session, hold, "expire", hold.amount)
    return holds


def hold_id(project_id: str, stage: str) -> str:
    """The transfer id of a render's hold for one stage (also its idempotency key)."""
    return f"hold:{project_id}:{stage}"


def reserve_render(
    session: Session,
    *,
    account_id: str,
    project_id: str,
    estimate: dict[str, int],
    timeout: timedelta,
) -> int:
    """Hold a render's estimate per stage and charge its creation; the credits reserved."""
    stages = {stage: amount for stage, amount in estimate.items() if stage != CREATION}
    creation = estimate.get(CREATION, 0)
    reserve(
        session,
        account_id=account_id,
        project_id=project_id,
        holds={hold_id(project_id, stage): amount for stage, amount in stages.items() if amount},
        timeout=timeout,
        extra_needed=creation,
    )
    charge(
        session,
        account_id=account_id,
        amount=creation,
        project_id=project_id,
        transfer_id=f"charge:{project_id}:creation",
        memo="project creation",
    )
    return creation + sum(stages.values())


def settle_stage(session: Session, *, project_id: str, stage: str, amount: int) -> None:
    """Post what a render's stage used against its hold (at most the hold); the rest returns."""
    hold = ledger.get_transfer(session, hold_id(project_id, stage))
    if hold is not None:
        settle(session, hold_id=hold.id, amount=min(amount, hold.amount))


def release_stage(session: Session, *, project_id: str, stage: str) -> None:
    """Return a render stage's whole hold (the stage will not run)."""
    if ledger.get_transfer(session, hold_id(project_id, stage)) is not None:
        release(session, hold_id=hold_id(project_id, stage))


def total_held(session: Session) -> int:
    """Credits held right now by unfinished renders, across the studio."""
    return ledger.total_held(session)


def project_settled(session: Session, *, project_id: str) -> int:
    """Credits a render has spent: its charges plus what its holds posted."""
    return ledger.project_settled(session, project_id)


def settled_column(project_id: ColumnElement[str]) -> ScalarSelect[int]:
    """A SQL column of project_settled, for listing many renders in one query."""
    return ledger.settled_column(project_id)


def open_holds(session: Session, *, project_id: str) -> list[Transfer]:
    """A render's holds that are still pending."""
    return ledger.open_holds(session, project_id=project_id)


def _pending(session: Session, hold_id: str) -> Transfer:
    hold = ledger.get_transfer(session, hold_id)
    if hold is None or hold.kind != "pending":
        raise ValueError(f"no pending transfer {hold_id}")
    return hold


def _resolve(session: Session, hold: Transfer, kind: str, amount: int) -> Transfer:
    return ledger.add_transfer(
        session,
        Transfer(
            id=f"{hold.id}:{kind}",
            kind=kind,
            debit_account_id=hold.debit_account_id,
            credit_account_id=hold.credit_account_id,
            amount=amount,
            pending_id=hold.id,
            project_id=hold.project_id,
            memo=f"{kind} {hold.memo}"[:200],
        ),
    )
