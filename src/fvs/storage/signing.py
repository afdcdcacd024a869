"""HMAC-signed, expiring media URLs, covering method, path, expiry, key id and download name."""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from urllib.parse import quote

KEY_ID = "k1"  # bump to rotate the signing secret while old URLs still verify
# Expiries round up to the hour so repeated status polls hand out the same URL.
EXPIRY_GRANULARITY = 3600


def rounded_expiry(ttl_seconds: int, now: float | None = None) -> int:
    """The Unix time a link made now expires: now + ttl, rounded up to the hour."""
    now = time.time() if now is None else now
    return math.ceil((now + ttl_seconds) / EXPIRY_GRANULARITY) * EXPIRY_GRANULARITY


def _signature(secret: bytes, path: str, expires: int, key_id: str, download_name: str) -> str:
    message = f"GET\n{path}\n{expires}\n{key_id}"
    if download_name:
        # Quoted, so no name can pass for another field; links without one sign as before.
        message += f"\n{quote(download_name, safe='')}"
    return hmac.new(secret, message.encode(), hashlib.sha256).hexdigest()


def sign_path(
    secret: bytes,
    path: str,
    *,
    ttl_seconds: int,
    download_name: str | None = None,
    now: float | None = None,
) -> str:
    """The query string that makes `path` fetchable until about now + ttl (saved as a name)."""
    expires = rounded_expiry(ttl_seconds, now)
    sig = _signature(secret, path, expires, KEY_ID, download_name or "")
    named = f"&dl={quote(download_name, safe='')}" if download_name else ""
    return f"{quote(path)}?exp={expires}&kid={KEY_ID}{named}&sig={sig}"


def verify(
    secret: bytes,
    path: str,
    *,
    expires: str,
    key_id: str,
    sig: str,
    download_name: str = "",
    now: float | None = None,
) -> bool:
    """True when the signature is ours and the URL has not expired."""
    if key_id != KEY_ID or not expires.isdigit():
        return False
    expected = _signature(secret, path, int(expires), key_id, download_name)
    if not hmac.compare_digest(expected, sig):
        return False
    return int(expires) > (time.time() if now is None else now)
