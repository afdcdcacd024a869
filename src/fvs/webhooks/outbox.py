"""The outbox: an event row written in the same transaction as the change it reports.

SQLAlchemy session listeners, installed once per process by build_studio, compare each
project's old and new status and stage as a transaction flushes, and add the events
those changes mean; so an event exists exactly when its change commits. New ledger
transfers are watched the same way for wallet.low_balance.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from fvs.billing import service as billing
from fvs.models import Project, Transfer, WebhookAccount, WebhookEvent
from fvs.stages import Stage, Status
from fvs.webhooks import catalog, repository
from fvs.webhooks.signing import new_secret

WALLETS_KEY = "fvs_webhooks_wallets"
WALLET_PREFIX = "wallet:"
_defaults = {"low_balance_credits": 100}


def install(*, low_balance_credits: int) -> None:
    """Listen to every session's flushes (once per process; later calls set the default)."""
    _defaults["low_balance_credits"] = low_balance_credits
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "after_flush_postexec", _after_flush)


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    for obj in list(session.new):
        if isinstance(obj, Project):
            _add(session, obj, catalog.RENDER_QUEUED, Status.QUEUED, Stage.INPUT)
        elif isinstance(obj, Transfer):
            _note_wallets(session, obj)
    for obj in list(session.dirty):
        if isinstance(obj, Project):
            _project_changed(session, obj)


def _project_changed(session: Session, project: Project) -> None:
    """Add the events a project's new stage and status mean, stage first."""
    old_stage, new_stage = _change(project, "current_stage")
    old_status, new_status = _change(project, "status")
    status = new_status or project.status
    stage = new_stage or project.current_stage
    if new_stage is not None and new_stage != Stage.COMPLETED:
        kind = (
            catalog.RENDER_HALTED
            if new_stage == Stage.HALTED_FOR_REVIEW
            else catalog.RENDER_STAGE_CHANGED
        )
        _add(session, project, kind, status, stage, previous_stage=old_stage)
    if new_status in catalog.TERMINAL_EVENTS:
        _add(session, project, catalog.TERMINAL_EVENTS[new_status], status, stage)
    elif new_status == Status.QUEUED:
        _add(session, project, catalog.RENDER_QUEUED, status, stage, previous_status=old_status)


def _change(project: Project, name: str) -> tuple[str | None, str | None]:
    """(old, new) when this flush changes the attribute; (None, None) when it does not."""
    history = inspect(project).attrs[name].history
    if not history.added or history.added[0] in history.deleted:
        return None, None
    old = history.deleted[0] if history.deleted else None
    return old, history.added[0]


def _add(
    session: Session, project: Project, kind: str, status: str, stage: str, **extra: Any
) -> None:
    facts = {"status": status, "current_stage": stage, **extra}
    session.add(
        WebhookEvent(
            account_id=project.account_id,
            project_id=project.id,
            type=kind,
            facts=facts,
            fanned_out=False,
        )
    )


def _note_wallets(session: Session, transfer: Transfer) -> None:
    touched: set[str] = session.info.setdefault(WALLETS_KEY, set())
    for ledger_id in (transfer.debit_account_id, transfer.credit_account_id):
        if ledger_id and ledger_id.startswith(WALLET_PREFIX):
            touched.add(ledger_id.removeprefix(WALLET_PREFIX))


def _after_flush(session: Session, _context: Any) -> None:
    # The transfers are in the database now, so the balance counts them.
    for account_id in sorted(session.info.pop(WALLETS_KEY, set())):
        if repository.has_enabled_endpoint(session, account_id):
            _check_balance(session, account_id)


def _check_balance(session: Session, account_id: str) -> None:
    """wallet.low_balance once when the available balance falls below the threshold."""
    found = repository.account_settings(session, account_id)
    threshold = _defaults["low_balance_credits"]
    if found is not None and found.low_balance_threshold is not None:
        threshold = found.low_balance_threshold
    available = billing.wallet_balance(session, account_id=account_id).available
    notified = found is not None and found.low_balance_notified
    if available >= threshold or notified:
        if found is not None and notified and available >= threshold:
            found.low_balance_notified = False
        return
    if found is None:
        found = WebhookAccount(account_id=account_id, render_secret=new_secret())
        session.add(found)
    found.low_balance_notified = True
    facts = {"account_id": account_id, "available_credits": available, "threshold": threshold}
    session.add(
        WebhookEvent(
            account_id=account_id, type=catalog.WALLET_LOW_BALANCE, facts=facts, fanned_out=False
        )
    )
