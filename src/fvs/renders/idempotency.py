"""Idempotency-Key for render submission, after Stripe's rules.

The first answer to a key is kept for 24 hours, per account. The same key with the
same request replays it (no second render, no second hold); the same key with a
different request is a 422; a repeat while the first is still being accepted is a
409. A submission that fails releases its key, so the client can retry it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from fvs.errors import Conflict, ValidationFailed
from fvs.models import IdempotencyRecord
from fvs.models.base import utcnow
from fvs.renders.uploads import Upload

KEEP_FOR = timedelta(hours=24)
# A claim still in progress after this long belongs to a request whose process died.
ABANDONED_AFTER = timedelta(minutes=2)
HEADER = "Idempotency-Key"


class IdempotencyKeyInUse(Conflict):
    code = "idempotency_key_in_use"


@dataclass(frozen=True)
class Replay:
    status_code: int
    body: dict[str, Any] | None  # None: the first answer was not stored; show current status
    project_id: str | None


def check_key(key: str) -> str:
    key = key.strip()
    if not 1 <= len(key) <= 255 or not key.isprintable():
        raise ValidationFailed(HEADER, "use 1 to 255 printable characters")
    return key


def fingerprint(raw: Any, uploads: list[Upload]) -> str:
    """A digest of the request: its JSON (key order ignored) and each upload's bytes."""
    digest = hashlib.sha256(json.dumps(raw, sort_keys=True, separators=(",", ":")).encode())
    for upload in uploads:
        digest.update(f"\n{upload.part}:{upload.filename}:".encode())
        digest.update(hashlib.sha256(upload.data).digest())
    return digest.hexdigest()


def _record(session: Session, account_id: str, key: str) -> IdempotencyRecord | None:
    stmt = select(IdempotencyRecord).where(
        IdempotencyRecord.account_id == account_id, IdempotencyRecord.key == key
    )
    return session.scalars(stmt).first()


def claim(session: Session, *, account_id: str, key: str, request_hash: str) -> Replay | None:
    """Claim the key for a new submission (None), or the earlier answer to replay."""
    record = _record(session, account_id, key)
    now = utcnow()
    if record is not None and (
        record.created_at < now - KEEP_FOR
        or (record.state != "done" and record.created_at < now - ABANDONED_AFTER)
    ):
        session.delete(record)
        session.flush()
        record = None
    if record is None:
        session.add(IdempotencyRecord(account_id=account_id, key=key, request_hash=request_hash))
        session.flush()
        return None
    if record.request_hash != request_hash:
        raise ValidationFailed(HEADER, "this Idempotency-Key was used with a different request")
    if record.state != "done":
        raise IdempotencyKeyInUse(
            "a request with this Idempotency-Key is still being accepted", field=HEADER
        )
    return Replay(record.status_code or 202, record.response, record.project_id)


def bind_project(session: Session, *, account_id: str, key: str, project_id: str) -> None:
    """Mark the claim done with its render, in the render's own transaction."""
    record = _record(session, account_id, key)
    assert record is not None
    record.state, record.project_id = "done", project_id


def store_answer(
    session: Session, *, account_id: str, key: str, status_code: int, body: dict[str, Any]
) -> None:
    record = _record(session, account_id, key)
    if record is not None:
        record.status_code, record.response = status_code, body


def release(session: Session, *, account_id: str, key: str) -> None:
    """Forget a claim whose submission failed."""
    session.execute(
        delete(IdempotencyRecord).where(
            IdempotencyRecord.account_id == account_id,
            IdempotencyRecord.key == key,
            IdempotencyRecord.state == "in_progress",
        )
    )


def purge_expired(session: Session) -> None:
    session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < utcnow() - KEEP_FOR)
    )
