"""The managed key format: `fvs_` + 160 random bits in base62 + a 6-character checksum.

The checksum lets a scanner recognise a leaked key, and lets the server refuse a
mistyped or forged one without a database read.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import zlib

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
PREFIX = "fvs_"
BODY_LEN = 28  # 160 bits in base62
CHECK_LEN = 6
KEY_RE = re.compile(rf"^{PREFIX}[0-9A-Za-z]{{{BODY_LEN + CHECK_LEN}}}$")
DISPLAY_PREFIX_LEN = len(PREFIX) + 8


def _base62(number: int, width: int) -> str:
    chars = []
    for _ in range(width):
        number, digit = divmod(number, 62)
        chars.append(ALPHABET[digit])
    return "".join(reversed(chars))


def _checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode()), CHECK_LEN)


def generate_key() -> str:
    body = _base62(secrets.randbits(160), BODY_LEN)
    return f"{PREFIX}{body}{_checksum(body)}"


def is_well_formed(key: str) -> bool:
    """True when the key has our shape and its checksum matches."""
    if not KEY_RE.match(key):
        return False
    body, check = key[len(PREFIX) : -CHECK_LEN], key[-CHECK_LEN:]
    return hmac.compare_digest(_checksum(body), check)


def hash_key(key: str, secret: bytes) -> str:
    return hmac.new(secret, key.encode(), hashlib.sha256).hexdigest()


def display_prefix(key: str) -> str:
    return key[:DISPLAY_PREFIX_LEN]
