"""`fvs ledger check`: prove the credits ledger sound on a live database, read-only.

The rules are those the billing service keeps on every write; this re-derives
them from the rows alone, so a bug or a hand-edited row shows up as a breach
naming the transfers and holds involved. The test suite runs the same audit
after every test that built a studio.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from fvs.billing import audit_repository as audit_rows
from fvs.billing.audit_repository import Counts
from fvs.models import Transfer


@dataclass(frozen=True)
class Breach:
    rule: str
    message: str
    ids: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.rule}: {self.message} [{', '.join(self.ids)}]"


@dataclass(frozen=True)
class LedgerReport:
    counts: Counts
    breaches: list[Breach] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaches

    def summary(self) -> str:
        c = self.counts
        return f"ledger ok: {c.transfers} transfers, {c.wallets} wallets, {c.holds} holds"


def audit(session: Session) -> LedgerReport:
    """Every breach of the ledger's rules in one snapshot, with the counts checked."""
    breaches = [
        *_unbalanced(session),
        *_stored_reservations(session),
        *_open_on_finished(session),
        *_posted_twice(session),
        *_negative(session),
    ]
    return LedgerReport(counts=audit_rows.counts(session), breaches=breaches)


def audit_database(url: str) -> LedgerReport:
    """Audit the database at `url` through a connection that cannot write."""
    engine = _read_only_engine(url)
    try:
        with _snapshot(engine) as session:
            return audit(session)
    finally:
        engine.dispose()


def _unbalanced(session: Session) -> Iterator[Breach]:
    for tid, kind, debit, credit, amount in audit_rows.malformed_transfers(session):
        yield Breach(
            "unbalanced transfer",
            f"{kind} of {amount} from {debit} to {credit} does not balance "
            "(negative, one-sided, or to an account the ledger does not have)",
            (tid,),
        )
    for tid, kind, pending_id, hold_kind in audit_rows.bad_resolutions(session):
        target = f"hold {pending_id} ({hold_kind or 'missing'})" if pending_id else "no hold"
        yield Breach(
            "unbalanced transfer",
            f"{kind} does not match {target}: wrong amount, accounts or kind",
            tuple(i for i in (tid, pending_id) if i),
        )
    net = audit_rows.ledger_net(session)
    if net:
        yield Breach("unbalanced ledger", f"posted balances net to {net}, not 0", ())


def _stored_reservations(session: Session) -> Iterator[Breach]:
    # Wallet balances are never stored (they are sums over transfers); the one
    # stored credit figure is each render's reservation, so that is recounted.
    for pid, stored, counted in audit_rows.reservation_mismatches(session):
        yield Breach(
            "stored balance",
            f"render stores {stored} credits reserved; its charge and holds add up to {counted}",
            (pid,),
        )


def _open_on_finished(session: Session) -> Iterator[Breach]:
    for hold, pid, status in audit_rows.open_holds_on_finished_renders(session):
        yield Breach("open hold", f"hold still pending on {status} render {pid}", (hold,))


def _posted_twice(session: Session) -> Iterator[Breach]:
    for hold, resolutions in audit_rows.holds_resolved_twice(session):
        yield Breach(
            "hold posted twice",
            f"hold resolved {len(resolutions)} times",
            (hold, *resolutions),
        )


def _negative(session: Session) -> Iterator[Breach]:
    for account, available in audit_rows.negative_accounts(session):
        culprit = _first_overdraw(audit_rows.account_transfers(session, account), account)
        yield Breach(
            "negative balance",
            f"{account} has {available} credits available",
            (culprit,) if culprit else (),
        )


def _first_overdraw(transfers: list[Transfer], account: str) -> str | None:
    """The transfer that first took the account's available credits below zero."""
    holds = {t.id: t.amount for t in transfers if t.kind == "pending"}
    available = 0
    for t in transfers:
        outgoing = t.debit_account_id == account
        if t.kind in ("single", "pending"):
            available += -t.amount if outgoing else t.amount
        elif t.pending_id in holds and outgoing:
            # Resolving a hold frees all it held; a post then spends its own amount.
            spent = t.amount if t.kind == "post" else 0
            available += holds[t.pending_id] - spent
        if available < 0:
            return t.id
    return None


def _read_only_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        # mode=ro: SQLite itself refuses writes, and the file is never created.
        path = parsed.database or ""
        engine = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")

        @event.listens_for(engine, "connect")
        def manual_transactions(dbapi_connection: object, _record: object) -> None:
            dbapi_connection.isolation_level = None  # type: ignore[attr-defined]

        @event.listens_for(engine, "begin")
        def begin(conn: Connection) -> None:
            # pysqlite defers BEGIN until a write; without it each SELECT sees a new moment.
            conn.exec_driver_sql("BEGIN")

        return engine
    engine = create_engine(url, isolation_level="REPEATABLE READ")

    @event.listens_for(engine, "connect")
    def read_only(dbapi_connection: object, _record: object) -> None:
        cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
        cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        cursor.close()
        dbapi_connection.commit()  # type: ignore[attr-defined]

    return engine


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Session]:
    """One transaction, so every rule sees the same moment of a busy ledger."""
    with Session(engine) as session, session.begin():
        yield session
