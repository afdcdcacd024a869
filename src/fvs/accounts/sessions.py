"""Browser sessions: a random token in an HttpOnly cookie, only its HMAC in the database."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from fvs.accounts import repository
from fvs.models import WebSession
from fvs.models.base import utcnow

LIFETIME = timedelta(days=30)


@dataclass(frozen=True)
class StartedSession:
    token: str  # goes into the cookie, never stored
    record: WebSession


def session_id_for(token: str, secret: bytes) -> str:
    """The stored id of a cookie token: its HMAC under the studio's secret."""
    return hmac.new(secret, token.encode(), hashlib.sha256).hexdigest()


def start_session(session: Session, *, account_id: str, secret: bytes) -> StartedSession:
    """Sign a browser in: a new token, stored only as its HMAC, with its own CSRF token."""
    now = utcnow()
    repository.delete_expired_web_sessions(session, account_id, now)
    token = secrets.token_urlsafe(32)
    record = WebSession(
        id=session_id_for(token, secret),
        account_id=account_id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + LIFETIME,
    )
    session.add(record)
    session.flush()
    return StartedSession(token=token, record=record)


def resolve_session(session: Session, *, token: str | None, secret: bytes) -> WebSession | None:
    """The live session behind a cookie token, or None when unknown or expired."""
    if not token or len(token) > 128:
        return None
    record = repository.web_session(session, session_id_for(token, secret))
    if record is None or record.expires_at <= utcnow():
        return None
    return record


def end_session(session: Session, *, token: str | None, secret: bytes) -> None:
    """Sign this browser out; unknown tokens are ignored."""
    if token:
        repository.delete_web_session(session, session_id_for(token, secret))


def end_all_sessions_for(session: Session, *, account_id: str, keep: str | None = None) -> int:
    """Sign the account out everywhere except the session id `keep`; the number ended."""
    return repository.delete_web_sessions_for(session, account_id, keep=keep)
