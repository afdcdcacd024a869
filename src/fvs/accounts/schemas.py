"""The account API's bodies."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str
    password: str


class SessionOut(BaseModel):
    account_id: str
    email: str
    csrf_token: str  # send it as X-CSRF-Token with every state-changing call


class DefaultsOut(BaseModel):
    saved: dict[str, Any]  # what the account chose
    effective: dict[str, Any]  # what a render that omits a field gets
