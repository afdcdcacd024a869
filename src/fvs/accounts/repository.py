"""Account and web-session queries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from fvs.models import Account, WebSession


def by_email(session: Session, email: str) -> Account | None:
    return session.scalars(select(Account).where(Account.email == email)).first()


def web_session(session: Session, session_id: str) -> WebSession | None:
    return session.get(WebSession, session_id)


def delete_web_session(session: Session, session_id: str) -> None:
    session.execute(delete(WebSession).where(WebSession.id == session_id))


def delete_web_sessions_for(session: Session, account_id: str, *, keep: str | None = None) -> int:
    """Delete the account's sessions except `keep`; the number deleted."""
    stmt = delete(WebSession).where(WebSession.account_id == account_id)
    if keep is not None:
        stmt = stmt.where(WebSession.id != keep)
    return session.execute(stmt).rowcount or 0  # type: ignore[attr-defined]


def delete_expired_web_sessions(session: Session, account_id: str, now: datetime) -> None:
    session.execute(
        delete(WebSession).where(WebSession.account_id == account_id, WebSession.expires_at <= now)
    )


def all_accounts(session: Session) -> list[Account]:
    """Every account, oldest first."""
    return list(session.scalars(select(Account).order_by(Account.created_at, Account.id)))
