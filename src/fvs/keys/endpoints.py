"""Managed agent keys for the signed-in account, as JSON: list, create, revoke."""

from __future__ import annotations

from fastapi import APIRouter

from fvs.accounts.deps import ApiWriter, CurrentAccount
from fvs.deps import ReadSession, StudioDep, WriteSession
from fvs.keys import service as keys
from fvs.keys.schemas import CreateKey, KeyList, NewKey, OneKey

router = APIRouter(prefix="/api/account/keys", tags=["account"])


@router.get("")
def list_keys(account: CurrentAccount, session: ReadSession) -> KeyList:
    return KeyList(
        keys=[keys.describe_key(k) for k in keys.list_keys(session, account_id=account.id)]
    )


@router.post("", status_code=201)
def create_key(
    body: CreateKey, caller: ApiWriter, session: WriteSession, studio: StudioDep
) -> NewKey:
    issued = keys.issue_key(
        session,
        account_id=caller.account.id,
        name=body.name,
        secret=studio.settings.resolved_secret,
        expires_at=keys.expiry_from(
            expires_at=body.expires_at, expires_in_days=body.expires_in_days
        ),
    )
    return NewKey(key=keys.describe_key(issued.key), secret=issued.secret)


@router.post("/{key_id}/revoke")
def revoke_key(key_id: str, caller: ApiWriter, session: WriteSession) -> OneKey:
    key = keys.revoke_key(session, key_id=key_id, account_id=caller.account.id)
    return OneKey(key=keys.describe_key(key))
