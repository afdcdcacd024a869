"""Accounts: creation, lookup and the render defaults each account saves."""

from __future__ import annotations

from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fvs.accounts import repository, sessions
from fvs.accounts.emails import TooLong, normalise_email
from fvs.accounts.schemas import DefaultsOut
from fvs.billing import service as billing
from fvs.config import Settings
from fvs.errors import AppError, Conflict, NotFound, ValidationFailed
from fvs.models import Account
from fvs.options.defaults import studio_defaults, validate_defaults

MIN_PASSWORD = 8
MAX_PASSWORD = 1024  # argon2 hashes anything, but nobody needs a megabyte of password
_hasher = PasswordHasher()


class WrongCredentials(AppError):
    status_code = 401
    code = "wrong_credentials"

    def __init__(self) -> None:
        super().__init__("email or password is wrong")


def create_account(
    session: Session,
    *,
    email: str,
    password: str | None = None,
    defaults: dict[str, Any] | None = None,
) -> Account:
    """Create an account with an empty wallet; 409 if the email is taken."""
    email = normalise_email(email)
    # The password rules come first: a weak password gets the same 422 whoever owns the email.
    if password is not None:
        _check_new_password(password, field="password")
    if repository.by_email(session, email) is not None:
        if password:  # pay for the hash a new account would cost, so timing says nothing
            _hasher.hash(password)
        raise Conflict(f"an account for {email} already exists", field="email")
    account = Account(
        email=email,
        defaults=defaults or {},
        password_hash=_hasher.hash(password) if password else None,
    )
    try:
        with session.begin_nested():  # a concurrent sign-up for the same email lost the race
            session.add(account)
            session.flush()
    except IntegrityError:
        raise Conflict(f"an account for {email} already exists", field="email") from None
    billing.open_wallet(session, account_id=account.id)
    return account


def get_by_email(session: Session, email: str) -> Account:
    """The account with this email, or 404."""
    account = repository.by_email(session, normalise_email(email))
    if account is None:
        raise NotFound(f"no account for {email}", field="email")
    return account


def get_account(session: Session, account_id: str) -> Account:
    """The account with this id, or 404."""
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound(f"no account {account_id}")
    return account


def authenticate(session: Session, *, email: str, password: str) -> Account:
    """The account with this email and password, or WrongCredentials; same time either way."""
    try:
        account = repository.by_email(session, normalise_email(email))
    except TooLong:
        raise  # no account can have it; refused before any hashing, naming the field
    except ValidationFailed:
        account = None
    stored = account.password_hash if account is not None else None
    # An unknown email still pays for one argon2 verify, so timing does not reveal it.
    try:
        _hasher.verify(stored or _dummy_hash(), password[:MAX_PASSWORD])
    except (VerificationError, InvalidHashError):
        raise WrongCredentials() from None
    if account is None or stored is None:
        raise WrongCredentials()
    if _hasher.check_needs_rehash(stored):
        account.password_hash = _hasher.hash(password)
    return account


def sign_up(
    session: Session, *, email: str, password: str, secret: bytes, signup_credits: int = 0
) -> sessions.StartedSession:
    """Create a password account with its sign-up credits, and sign this browser in."""
    if not password:
        raise ValidationFailed("password", "choose a password")
    account = create_account(session, email=email, password=password)
    # FVS_SIGNUP_CREDITS: a grant in the ledger, keyed by the account so it happens once.
    billing.grant_signup_credits(session, account_id=account.id, amount=signup_credits)
    return sessions.start_session(session, account_id=account.id, secret=secret)


def sign_in(
    session: Session, *, email: str, password: str, secret: bytes
) -> sessions.StartedSession:
    """Check the password and sign this browser in, or WrongCredentials."""
    account = authenticate(session, email=email, password=password)
    return sessions.start_session(session, account_id=account.id, secret=secret)


def change_password(
    session: Session,
    *,
    account_id: str,
    current: str,
    new: str,
    keep_session_id: str | None = None,
) -> Account:
    """Set a new password and sign out every other browser; current must match."""
    account = get_account(session, account_id)
    try:
        _hasher.verify(account.password_hash or _dummy_hash(), current[:MAX_PASSWORD])
    except (VerificationError, InvalidHashError):
        raise ValidationFailed("current_password", "the current password is wrong") from None
    if account.password_hash is None:
        raise ValidationFailed("current_password", "the current password is wrong")
    _check_new_password(new, field="new_password")
    account.password_hash = _hasher.hash(new)
    sessions.end_all_sessions_for(session, account_id=account.id, keep=keep_session_id)
    return account


def set_password(session: Session, *, account_id: str, new: str) -> Account:
    """Set a password without the current one (the operator's reset); signs out every browser."""
    account = get_account(session, account_id)
    _check_new_password(new, field="password")
    account.password_hash = _hasher.hash(new)
    sessions.end_all_sessions_for(session, account_id=account.id)
    return account


def list_accounts(session: Session) -> list[Account]:
    """Every account, oldest first."""
    return repository.all_accounts(session)


def has_password(account: Account) -> bool:
    """Whether the account can sign in to the studio's pages."""
    return account.password_hash is not None


def effective_defaults(account: Account, settings: Settings) -> dict[str, Any]:
    """The studio defaults overlaid by what the account saved."""
    return {**studio_defaults(settings), **(account.defaults or {})}


def describe_defaults(account: Account, settings: Settings) -> DefaultsOut:
    """The account's saved defaults and what a render that omits a field gets."""
    return DefaultsOut(
        saved=dict(account.defaults or {}),
        effective=effective_defaults(account, settings),
    )


def replace_defaults(session: Session, *, account_id: str, values: dict[str, Any]) -> Account:
    """Replace the account's saved defaults with validated values; 422 naming a bad field."""
    account = get_account(session, account_id)
    account.defaults = validate_defaults(values)
    return account


def merge_defaults(session: Session, *, account_id: str, values: dict[str, Any]) -> Account:
    """Merge values into the saved defaults; a null removes that default."""
    account = get_account(session, account_id)
    merged = {**(account.defaults or {}), **values}
    account.defaults = validate_defaults({k: v for k, v in merged.items() if v is not None})
    return account


def _check_new_password(password: str, *, field: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed(field, f"use at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise ValidationFailed(field, f"use at most {MAX_PASSWORD} characters")


@cache
def _dummy_hash() -> str:
    # Hashed with the live parameters, so the dummy verify costs what a real one does.
    return _hasher.hash("not-a-real-password-only-for-timing")
