"""Managed agent keys for the signed-in account, as JSON: list, create, revoke."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from fvs.accounts.dependencies import ApiWriter, CurrentAccount
from fvs.deps import StudioDep
from fvs.errors import ValidationFailed
from fvs.keys import service as keys
from fvs.models import AgentKey
from fvs.models.base import utcnow

router = APIRouter(prefix="/api/account/keys", tags=["account"])
MAX_EXPIRY_DAYS = 3650


class CreateKey(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=100)
    expires_at: datetime | None = None
    expires_in_days: int | None = None


def key_state(key: AgentKey, now: datetime | None = None) -> str:
    """active, revoked or expired."""
    if key.revoked_at is not None:
        return "revoked"
    if key.expires_at is not None and key.expires_at <= (now or utcnow()):
        return "expired"
    return "active"


def describe_key(key: AgentKey) -> dict[str, Any]:
    """A key as the API and the settings page show it; never the secret."""
    return {
        "id": key.id,
        "name": key.name,
        "prefix": key.prefix,
        "created_at": _iso(key.created_at),
        "last_used_at": _iso(key.last_used_at),
        "expires_at": _iso(key.expires_at),
        "revoked_at": _iso(key.revoked_at),
        "state": key_state(key),
    }


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


@router.get("")
def list_keys(account: CurrentAccount, studio: StudioDep) -> dict[str, Any]:
    with studio.db.read() as session:
        found = keys.list_keys(session, account_id=account.id)
        return {"keys": [describe_key(k) for k in found]}


@router.post("", status_code=201)
def create_key(body: CreateKey, caller: ApiWriter, studio: StudioDep) -> dict[str, Any]:
    expires_at = expiry_from(expires_at=body.expires_at, expires_in_days=body.expires_in_days)
    issued = studio.db.transact(
        lambda session: keys.issue_key(
            session,
            account_id=caller.account.id,
            name=body.name,
            secret=studio.settings.resolved_secret,
            expires_at=expires_at,
        )
    )
    return {"key": describe_key(issued.key), "secret": issued.secret}


@router.post("/{key_id}/revoke")
def revoke_key(key_id: str, caller: ApiWriter, studio: StudioDep) -> dict[str, Any]:
    key = studio.db.transact(
        lambda session: keys.revoke_key(session, key_id=key_id, account_id=caller.account.id)
    )
    return {"key": describe_key(key)}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
