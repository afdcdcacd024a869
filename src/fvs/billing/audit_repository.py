"""The ledger audit's queries: each finds the rows that break one rule, never writes.

Every query aggregates in the database, so checking a large ledger moves the
breaches to Python, not the transfers.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, and_, func, literal, or_, select, union_all
from sqlalchemy.orm import Session, aliased

from fvs.billing.repository import GRANTS
from fvs.models import LedgerAccount, Project, Transfer
from fvs.models.ledger import TRANSFER_KINDS
from fvs.stages import TERMINAL

POSTED = ("single", "post")
RESOLUTIONS = ("post", "void", "expire")


@dataclass(frozen=True)
class Counts:
    transfers: int
    wallets: int
    holds: int


def counts(session: Session) -> Counts:
    wallets = select(func.count()).select_from(LedgerAccount).where(LedgerAccount.kind == "wallet")
    holds = select(func.count()).select_from(Transfer).where(Transfer.kind == "pending")
    return Counts(
        transfers=int(session.scalar(select(func.count()).select_from(Transfer)) or 0),
        wallets=int(session.scalar(wallets) or 0),
        holds=int(session.scalar(holds) or 0),
    )


def malformed_transfers(session: Session) -> list[tuple[str, str, str, str, int]]:
    """(id, kind, debit, credit, amount) of transfers that cannot balance on their own."""
    debit = aliased(LedgerAccount)
    credit = aliased(LedgerAccount)
    stmt = (
        select(
            Transfer.id,
            Transfer.kind,
            Transfer.debit_account_id,
            Transfer.credit_account_id,
            Transfer.amount,
        )
        .outerjoin(debit, debit.id == Transfer.debit_account_id)
        .outerjoin(credit, credit.id == Transfer.credit_account_id)
        .where(
            or_(
                Transfer.amount < 0,
                Transfer.debit_account_id == Transfer.credit_account_id,
                debit.id.is_(None),
                credit.id.is_(None),
                Transfer.kind.not_in(TRANSFER_KINDS),
            )
        )
    )
    return [tuple(row) for row in session.execute(stmt.order_by(Transfer.id))]  # type: ignore[misc]


def _posted_moves() -> Select[str, int]:
    """(account, signed amount) for both sides of every posted transfer."""
    credits = select(Transfer.credit_account_id.label("account"), Transfer.amount.label("amount"))
    debits = select(Transfer.debit_account_id.label("account"), (-Transfer.amount).label("amount"))
    moves = union_all(
        credits.where(Transfer.kind.in_(POSTED)), debits.where(Transfer.kind.in_(POSTED))
    ).subquery()
    return select(moves.c.account, moves.c.amount)


def ledger_net(session: Session) -> int:
    """The sum of every known ledger account's posted balance: zero in a sound ledger."""
    moves = _posted_moves().subquery()
    stmt = select(func.coalesce(func.sum(moves.c.amount), 0)).join(
        LedgerAccount, LedgerAccount.id == moves.c.account
    )
    return int(session.scalar(stmt) or 0)


def _open_holds() -> Select[str, str, int, str | None]:
    resolution = aliased(Transfer)
    resolved = select(resolution.id).where(resolution.pending_id == Transfer.id).exists()
    return select(
        Transfer.id, Transfer.debit_account_id, Transfer.amount, Transfer.project_id
    ).where(Transfer.kind == "pending", ~resolved)


def negative_accounts(session: Session) -> list[tuple[str, int]]:
    """(account, available) of every account but the grants source that is below zero."""
    posted = _posted_moves().subquery()
    held = _open_holds().subquery()
    moves = union_all(
        select(posted.c.account, posted.c.amount),
        select(held.c.debit_account_id.label("account"), (-held.c.amount).label("amount")),
    ).subquery()
    available = func.sum(moves.c.amount)
    stmt = (
        select(moves.c.account, available)
        .where(moves.c.account != GRANTS)
        .group_by(moves.c.account)
        .having(available < 0)
        .order_by(moves.c.account)
    )
    return [(account, int(amount)) for account, amount in session.execute(stmt)]


def account_transfers(session: Session, account: str) -> list[Transfer]:
    """Every transfer touching an account, oldest first."""
    stmt = select(Transfer).where(
        or_(Transfer.debit_account_id == account, Transfer.credit_account_id == account)
    )
    return list(session.scalars(stmt.order_by(Transfer.created_at, Transfer.id)))


def bad_resolutions(session: Session) -> list[tuple[str, str, str | None, str | None]]:
    """(id, kind, pending_id, hold kind) of resolutions that do not match their hold.

    A post may take at most its hold; a void or expiry returns exactly the hold;
    both move between the hold's own two accounts. Only resolutions name a hold.
    """
    hold = aliased(Transfer)
    mismatch = or_(
        Transfer.kind.not_in(RESOLUTIONS),
        Transfer.pending_id.is_(None),
        hold.id.is_(None),
        hold.kind != "pending",
        Transfer.amount > hold.amount,
        and_(Transfer.kind != "post", Transfer.amount != hold.amount),
        Transfer.debit_account_id != hold.debit_account_id,
        Transfer.credit_account_id != hold.credit_account_id,
    )
    stmt = (
        select(Transfer.id, Transfer.kind, Transfer.pending_id, hold.kind)
        .outerjoin(hold, hold.id == Transfer.pending_id)
        .where(or_(Transfer.kind.in_(RESOLUTIONS), Transfer.pending_id.is_not(None)), mismatch)
    )
    return [tuple(row) for row in session.execute(stmt.order_by(Transfer.id))]  # type: ignore[misc]


def holds_resolved_twice(session: Session) -> list[tuple[str, list[str]]]:
    """(hold id, its resolutions' ids) for every hold resolved more than once."""
    twice = (
        select(Transfer.pending_id)
        .where(Transfer.pending_id.is_not(None))
        .group_by(Transfer.pending_id)
        .having(func.count() > 1)
    )
    stmt = select(Transfer.pending_id, Transfer.id).where(Transfer.pending_id.in_(twice))
    found: dict[str, list[str]] = {}
    for pending_id, transfer_id in session.execute(stmt.order_by(Transfer.pending_id, Transfer.id)):
        found.setdefault(str(pending_id), []).append(transfer_id)
    return list(found.items())


def open_holds_on_finished_renders(session: Session) -> list[tuple[str, str, str]]:
    """(hold id, project id, project status) of holds still open after their render ended."""
    held = _open_holds().subquery()
    stmt = (
        select(held.c.id, Project.id, Project.status)
        .join(Project, Project.id == held.c.project_id)
        .where(Project.status.in_([str(status) for status in TERMINAL]))
    )
    return [(hold, pid, status) for hold, pid, status in session.execute(stmt.order_by(held.c.id))]


def reservation_mismatches(session: Session) -> list[tuple[str, int, int]]:
    """(project id, stored credits_reserved, recount) where the two differ.

    The recount is what submission really reserved: the creation charge plus
    every hold placed for the project, whether still open or resolved since.
    """
    creation = select(func.coalesce(func.sum(Transfer.amount), 0)).where(
        Transfer.id == literal("charge:") + Project.id + literal(":creation")
    )
    holds = select(func.coalesce(func.sum(Transfer.amount), 0)).where(
        Transfer.project_id == Project.id, Transfer.kind == "pending"
    )
    recount = creation.scalar_subquery() + holds.scalar_subquery()
    stmt = select(Project.id, Project.credits_reserved, recount).where(
        Project.credits_reserved != recount
    )
    return [(pid, int(stored), int(counted)) for pid, stored, counted in session.execute(stmt)]
