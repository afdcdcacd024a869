"""The two-phase ledger: holds, partial posts, releases, expiry, idempotent transfer ids."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from fvs.accounts import service as accounts
from fvs.billing import repository as ledger
from fvs.billing import service as billing
from fvs.billing.service import InsufficientCredits
from fvs.errors import Conflict
from fvs.models.base import utcnow
from tests.ledger_invariants import assert_ledger_consistent

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
DAY = timedelta(days=1)


def new_account(studio, credits: int = 0) -> str:
    def create(session):
        account = accounts.create_account(session, email=f"l-{uuid.uuid4().hex[:8]}@example.com")
        if credits:
            billing.grant(
                session, account_id=account.id, amount=credits, transfer_id=f"grant:{account.id}"
            )
        return account.id

    return studio.db.transact(create)


def balance(studio, account_id: str) -> ledger.Balance:
    with studio.db.read() as session:
        return billing.wallet_balance(session, account_id=account_id)


@BOTH
def test_hold_post_less_and_release_the_rest(studio):
    account = new_account(studio, 100)
    studio.db.transact(
        lambda s: billing.reserve(
            s, account_id=account, project_id="p1", holds={"h1": 60, "h2": 30}, timeout=DAY
        )
    )
    assert balance(studio, account).available == 10
    assert balance(studio, account).debits_pending == 90
    studio.db.transact(lambda s: billing.settle(s, hold_id="h1", amount=45))
    studio.db.transact(lambda s: billing.release(s, hold_id="h2"))
    after = balance(studio, account)
    assert (after.available, after.balance, after.debits_pending) == (55, 55, 0)


@BOTH
def test_transfer_ids_are_idempotency_keys(studio):
    account = new_account(studio, 100)
    for _ in range(2):
        studio.db.transact(
            lambda s: billing.reserve(
                s, account_id=account, project_id="p", holds={"h": 70}, timeout=DAY
            )
        )
        studio.db.transact(
            lambda s: billing.grant(s, account_id=account, amount=5, transfer_id="bonus")
        )
    assert balance(studio, account).available == 35
    first = studio.db.transact(lambda s: billing.settle(s, hold_id="h", amount=70).id)
    assert studio.db.transact(lambda s: billing.settle(s, hold_id="h", amount=70).id) == first
    with pytest.raises(Conflict):
        studio.db.transact(lambda s: billing.settle(s, hold_id="h", amount=10))
    assert studio.db.transact(lambda s: billing.release(s, hold_id="h")) is None
    assert balance(studio, account).balance == 35


@BOTH
def test_a_short_wallet_is_refused_with_amounts(studio):
    account = new_account(studio, 50)
    with pytest.raises(InsufficientCredits) as refused:
        studio.db.transact(
            lambda s: billing.reserve(
                s, account_id=account, project_id="p", holds={"a": 30, "b": 30}, timeout=DAY
            )
        )
    assert refused.value.extra == {"needed": 60, "available": 50}
    assert balance(studio, account).debits_pending == 0  # nothing half-held


def test_overdue_holds_expire_once(studio):
    account = new_account(studio, 100)
    studio.db.transact(
        lambda s: billing.reserve(
            s, account_id=account, project_id="p", holds={"late": 80}, timeout=timedelta(0)
        )
    )
    later = utcnow() + timedelta(seconds=1)
    expired = studio.db.transact(
        lambda s: [h.id for h in billing.expire_overdue_holds(s, now=later)]
    )
    assert expired == ["late"]
    assert studio.db.transact(lambda s: billing.expire_overdue_holds(s, now=later)) == []
    assert balance(studio, account).available == 100
    with pytest.raises(Conflict):
        studio.db.transact(lambda s: billing.settle(s, hold_id="late", amount=80))


class LedgerMachine(RuleBasedStateMachine):
    """Random grants, holds, settlements, releases, cancels and crashes against a shadow model."""

    studio = None  # set by the test

    def __init__(self) -> None:
        super().__init__()
        self.account = new_account(self.studio)
        self.available = 0
        self.open: dict[str, int] = {}
        self.counter = 0

    def _id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}:{self.account}:{self.counter}"

    @rule(amount=st.integers(1, 500))
    def grant(self, amount):
        self.studio.db.transact(
            lambda s: billing.grant(
                s, account_id=self.account, amount=amount, transfer_id=self._id("g")
            )
        )
        self.available += amount

    @rule(amounts=st.lists(st.integers(0, 300), min_size=1, max_size=3))
    def reserve(self, amounts):
        holds = {self._id("h"): a for a in amounts}
        try:
            self.studio.db.transact(
                lambda s: billing.reserve(
                    s, account_id=self.account, project_id="p", holds=holds, timeout=DAY
                )
            )
        except InsufficientCredits:
            assert sum(amounts) > self.available
            return
        assert sum(amounts) <= self.available
        self.available -= sum(amounts)
        self.open.update(holds)

    @precondition(lambda self: self.open)
    @rule(data=st.data())
    def settle(self, data):
        hold = data.draw(st.sampled_from(sorted(self.open)))
        amount = data.draw(st.integers(0, self.open[hold]))
        self.studio.db.transact(lambda s: billing.settle(s, hold_id=hold, amount=amount))
        self.available += self.open.pop(hold) - amount

    @precondition(lambda self: self.open)
    @rule(data=st.data())
    def release(self, data):
        hold = data.draw(st.sampled_from(sorted(self.open)))
        self.studio.db.transact(lambda s: billing.release(s, hold_id=hold))
        self.available += self.open.pop(hold)

    @rule()
    def cancel_everything(self):
        self.studio.db.transact(lambda s: billing.release_project_holds(s, project_id="p"))
        self.available += sum(self.open.values())
        self.open.clear()

    @rule()
    def crash_mid_transaction(self):
        """A transaction that holds credits and then dies leaves no trace."""

        def doomed(session):
            billing.reserve(
                session,
                account_id=self.account,
                project_id="p",
                holds={self._id("h"): 0},
                timeout=DAY,
            )
            raise RuntimeError("worker died")

        with pytest.raises(RuntimeError):
            self.studio.db.transact(doomed)

    @invariant()
    def matches_the_shadow_model(self):
        now = balance(self.studio, self.account)
        assert now.available == self.available >= 0
        assert now.debits_pending == sum(self.open.values())
        assert_ledger_consistent(self.studio)


@pytest.mark.slow  # hundreds of random transactions, each followed by a full ledger check
@BOTH
def test_random_sequences_keep_the_invariants(studio):
    LedgerMachine.studio = studio
    runner = LedgerMachine.TestCase()
    runner.settings = hyp_settings(
        max_examples=15,
        stateful_step_count=15,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    runner.runTest()
