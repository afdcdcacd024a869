"""Agent key queries."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from fvs.models import AgentKey


def by_hash(session: Session, secret_hash: str) -> AgentKey | None:
    return session.scalars(select(AgentKey).where(AgentKey.secret_hash == secret_hash)).first()


def for_account(session: Session, account_id: str) -> list[AgentKey]:
    stmt = select(AgentKey).where(AgentKey.account_id == account_id)
    return list(session.scalars(stmt.order_by(AgentKey.created_at, AgentKey.id)))
