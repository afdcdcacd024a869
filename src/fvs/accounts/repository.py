"""Account queries."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from fvs.models import Account


def by_email(session: Session, email: str) -> Account | None:
    return session.scalars(select(Account).where(Account.email == email)).first()
