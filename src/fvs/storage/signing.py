"""HMAC-signed, expiring media URLs. The signature covers method, path, expiry and key id."""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from urllib.parse import quote

KEY_ID = "k1"  # bump to rotate the signing secret while old URLs still verify
# Expiries round up to the hour so repeated status polls hand out the same URL.
EXPIRY_GRANULARITY = 3600


def _signature(secret: bytes, path: str, expires: int, key_id: str) -> str:
    message = f"GET\n{path}\n{expires}\n{key_id}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def sign_path(secret: bytes, path: str, *, ttl_seconds: int, now: float | None = None) -> str:
    """The query string that makes `path` fetchable until about now + ttl."""
    now = time.time() if now is None else now
    expires = math.ceil((now + ttl_seconds) / EXPIRY_GRANULARITY) * EXPIRY_GRANULARITY
    sig = _signature(secret, path, expires, KEY_ID)
    return f"{quote(path)}?exp={expires}&kid={KEY_ID}&sig={sig}"


def verify(
    secret: bytes, path: str, *, expires: str, key_id: str, sig: str, now: float | None = None
) -> bool:
    """True when the signature is ours and the URL has not expired."""
    if key_id != KEY_ID or not expires.isdigit():
        return False
    expected = _signature(secret, path, int(expires), key_id)
    if not hmac.compare_digest(expected, sig):
        return False
    return int(expires) > (time.time() if now is None else now)
