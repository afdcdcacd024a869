"""Managed agent keys: issue, list, revoke, verify. One service for the web, API and CLI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from fvs.errors import NotFound, Unauthorized, ValidationFailed
from fvs.keys import format as key_format
from fvs.keys import repository
from fvs.keys.cache import verified
from fvs.keys.schemas import KeyOut
from fvs.models import AgentKey
from fvs.models.base import utcnow

LAST_USED_RESOLUTION = timedelta(minutes=1)
MAX_EXPIRY_DAYS = 3650


@dataclass(frozen=True)
class IssuedKey:
    key: AgentKey
    secret: str  # shown once, never stored


@dataclass(frozen=True)
class Principal:
    account_id: str
    key_id: str
    last_used_stale: bool = False  # the caller records use when True
    expires_at: datetime | None = None


def key_state(key: AgentKey, now: datetime | None = None) -> str:
    """active, revoked or expired: the one definition the API, the pages and the CLI show."""
    if key.revoked_at is not None:
        return "revoked"
    if key.expires_at is not None and key.expires_at <= (now or utcnow()):
        return "expired"
    return "active"


def describe_key(key: AgentKey) -> KeyOut:
    """A key as people and agents see it; never the secret."""
    return KeyOut(
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        created_at=key.created_at,
        last_used_at=key.last_used_at,
        expires_at=key.expires_at,
        revoked_at=key.revoked_at,
        state=key_state(key),
    )


def expiry_from(*, expires_at: datetime | None, expires_in_days: int | None) -> datetime | None:
    """One absolute expiry from either form; naive datetimes are read as UTC."""
    if expires_at is not None and expires_in_days is not None:
        raise ValidationFailed("expires_in_days", "give expires_at or expires_in_days, not both")
    if expires_in_days is not None:
        if not 1 <= expires_in_days <= MAX_EXPIRY_DAYS:
            raise ValidationFailed("expires_in_days", f"use 1 to {MAX_EXPIRY_DAYS} days")
        return utcnow() + timedelta(days=expires_in_days)
    if expires_at is not None and expires_at.tzinfo is None:
        return expires_at.replace(tzinfo=UTC)
    return expires_at


def issue_key(
    session: Session,
    *,
    account_id: str,
    name: str,
    secret: bytes,
    expires_at: datetime | None = None,
) -> IssuedKey:
    """Create a key for the account; the clear key is returned once and never stored."""
    name = name.strip()
    if not name or len(name) > 100 or not name.isprintable():
        raise ValidationFailed("name", "a key name must have 1 to 100 printable characters")
    if expires_at is not None and expires_at <= utcnow():
        raise ValidationFailed("expires_at", "the expiry must be in the future")
    clear = key_format.generate_key()
    key = AgentKey(
        account_id=account_id,
        name=name,
        prefix=key_format.display_prefix(clear),
        secret_hash=key_format.hash_key(clear, secret),
        expires_at=expires_at,
    )
    session.add(key)
    session.flush()
    return IssuedKey(key=key, secret=clear)


def list_keys(session: Session, *, account_id: str) -> list[AgentKey]:
    """The account's keys, oldest first, revoked ones included."""
    return repository.for_account(session, account_id)


def revoke_key(session: Session, *, key_id: str, account_id: str | None = None) -> AgentKey:
    """Revoke a key at once; account_id, when given, must own it (else 404)."""
    key = session.get(AgentKey, key_id)
    if key is None or (account_id is not None and key.account_id != account_id):
        raise NotFound(f"no key {key_id}", field="key_id")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
    # Refused at once here; other processes may accept it until their entry runs out.
    verified.forget(key.secret_hash)
    return key


def verify_key(session: Session, *, clear: str | None, secret: bytes) -> Principal:
    """The account behind a presented key, or 401. Malformed keys never reach the database."""
    if not clear:
        raise Unauthorized(
            "send your managed key in the X-FVS-Agent-Key header", field="X-FVS-Agent-Key"
        )
    if not key_format.is_well_formed(clear):
        raise Unauthorized("the agent key is malformed", field="X-FVS-Agent-Key")
    key = repository.by_hash(session, key_format.hash_key(clear, secret))
    now = utcnow()
    if key is None or key.revoked_at is not None:
        raise Unauthorized("the agent key is unknown or revoked", field="X-FVS-Agent-Key")
    if key.expires_at is not None and key.expires_at <= now:
        raise Unauthorized("the agent key has expired", field="X-FVS-Agent-Key")
    stale = key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION
    return Principal(
        account_id=key.account_id, key_id=key.id, last_used_stale=stale, expires_at=key.expires_at
    )


def remembered_principal(clear: str | None, *, secret: bytes) -> Principal | None:
    """A principal verified moments ago for this key (fvs.keys.cache), else None."""
    if not clear or not key_format.is_well_formed(clear):
        return None
    found = verified.get(key_format.hash_key(clear, secret))
    return found if isinstance(found, Principal) else None


def remember_principal(clear: str, principal: Principal, *, secret: bytes, seconds: float) -> None:
    """Remember a freshly verified key for `seconds` (never past its expiry)."""
    # Marked fresh: last use was just recorded (or is under a minute old).
    fresh = Principal(account_id=principal.account_id, key_id=principal.key_id)
    verified.put(
        key_format.hash_key(clear, secret), fresh, seconds=seconds, expires_at=principal.expires_at
    )


def touch_last_used(session: Session, *, key_id: str) -> None:
    """Record use, at most once a minute, so hot polling loops do not write every time."""
    key = session.get(AgentKey, key_id)
    if key is not None and (
        key.last_used_at is None or utcnow() - key.last_used_at >= LAST_USED_RESOLUTION
    ):
        key.last_used_at = utcnow()
