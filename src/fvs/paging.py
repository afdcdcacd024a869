"""Opaque page cursors: the last row's (created_at, id), for keyset paging newest first."""

from __future__ import annotations

import base64
from datetime import datetime

from fvs.errors import ValidationFailed


def encode_cursor(created_at: datetime, row_id: str) -> str:
    """The cursor that continues after this row."""
    return base64.urlsafe_b64encode(f"{created_at.isoformat()}|{row_id}".encode()).decode()


def decode_cursor(cursor: str | None) -> tuple[datetime, str] | None:
    """The (created_at, id) a cursor continues after, or 422 naming `cursor`."""
    if not cursor:
        return None
    try:
        stamp, row_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        return datetime.fromisoformat(stamp), row_id
    except ValueError:  # bad base64, bad UTF-8 (a ValueError too), no "|" or a bad time
        raise ValidationFailed("cursor", "not a cursor this API returned") from None
