"""Accounts: creation, lookup and the render defaults each account saves."""

from __future__ import annotations

import re
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from fvs.accounts import repository
from fvs.billing import repository as ledger
from fvs.errors import Conflict, NotFound, ValidationFailed
from fvs.models import Account

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_hasher = PasswordHasher()


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if not EMAIL_RE.match(email) or len(email) > 320:
        raise ValidationFailed("email", "not a valid email address")
    return email


def create_account(
    session: Session,
    *,
    email: str,
    password: str | None = None,
    defaults: dict[str, Any] | None = None,
) -> Account:
    """Create an account with an empty wallet; 409 if the email is taken."""
    email = normalise_email(email)
    if repository.by_email(session, email) is not None:
        raise Conflict(f"an account for {email} already exists", field="email")
    if password is not None and len(password) < 8:
        raise ValidationFailed("password", "use at least 8 characters")
    account = Account(
        email=email,
        defaults=defaults or {},
        password_hash=_hasher.hash(password) if password else None,
    )
    session.add(account)
    session.flush()
    ledger.ensure_wallet(session, account.id)
    return account


def get_by_email(session: Session, email: str) -> Account:
    """The account with this email, or 404."""
    account = repository.by_email(session, normalise_email(email))
    if account is None:
        raise NotFound(f"no account for {email}", field="email")
    return account


def get_account(session: Session, account_id: str) -> Account:
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound(f"no account {account_id}")
    return account
