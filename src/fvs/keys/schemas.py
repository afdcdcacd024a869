"""The managed keys API's bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

# Timestamps as Python writes them (2026-11-28T03:52:03.123456+00:00), as the API always has.
IsoDateTime = Annotated[datetime, PlainSerializer(lambda d: d.isoformat(), return_type=str)]


class CreateKey(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=100)
    expires_at: datetime | None = None
    expires_in_days: int | None = None


class KeyOut(BaseModel):
    """A key as the API, the settings page and the CLI show it; never the secret."""

    id: str
    name: str
    prefix: str
    created_at: IsoDateTime
    last_used_at: IsoDateTime | None
    expires_at: IsoDateTime | None
    revoked_at: IsoDateTime | None
    state: str  # active | revoked | expired


class KeyList(BaseModel):
    keys: list[KeyOut]


class OneKey(BaseModel):
    key: KeyOut


class NewKey(BaseModel):
    key: KeyOut
    secret: str  # shown once, never stored
