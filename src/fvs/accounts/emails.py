"""Email addresses as strangers type them: checked in one linear pass, never by a regex.

Sign-in and sign-up take an email from anyone. A backtracking regex over a long
adversarial string holds the GIL for seconds and freezes the whole server, so
the length is checked first (RFC 5321: a path is at most 254 characters) and the
shape is checked by splitting on "@" and looking at each character once.
"""

from __future__ import annotations

import string
import unicodedata

from fvs.errors import ValidationFailed

MAX_EMAIL = 254  # RFC 5321's forward-path limit, less the angle brackets
MAX_LOCAL = 64
MAX_LABEL = 63
# RFC 5322 atext: what an unquoted local part may hold besides dots.
_LOCAL_ASCII = frozenset(string.ascii_letters + string.digits + "!#$%&'*+/=?^_`{|}~-")
_LABEL_ASCII = frozenset(string.ascii_letters + string.digits + "-")


class TooLong(ValidationFailed):
    """An address longer than any mailbox can have: refused before any other work."""

    def __init__(self) -> None:
        super().__init__("email", f"an email address has at most {MAX_EMAIL} characters")


def normalise_email(email: str) -> str:
    """The address as stored (NFC, lower case), or 422 naming `email`; linear in its length."""
    if len(email) > MAX_EMAIL + 64:  # room for surrounding spaces, nothing more
        raise TooLong()
    email = unicodedata.normalize("NFC", email.strip())
    if len(email) > MAX_EMAIL:
        raise TooLong()
    local, at, domain = email.rpartition("@")
    if not at or not _local_ok(local) or not _domain_ok(domain):
        raise ValidationFailed("email", "not a valid email address")
    return email.lower()


def _local_ok(local: str) -> bool:
    if not 0 < len(local) <= MAX_LOCAL or not _dotted(local):
        return False
    # Letters of any script are fine (SMTPUTF8); "@", spaces, quotes and controls are not.
    return all(c in _LOCAL_ASCII or c == "." or (ord(c) > 127 and c.isalnum()) for c in local)


def _domain_ok(domain: str) -> bool:
    # One dot at least: a self-hosted studio may use studio.local or example.test, not "localhost".
    if "." not in domain or not _dotted(domain):
        return False
    labels = domain.split(".")
    if labels[-1].isdigit():  # an IP address needs the [brackets] we do not take
        return False
    return all(_label_ok(label) for label in labels)


def _label_ok(label: str) -> bool:
    if not 0 < len(label) <= MAX_LABEL or label[0] == "-" or label[-1] == "-":
        return False
    return all(c in _LABEL_ASCII or (ord(c) > 127 and c.isalnum()) for c in label)


def _dotted(text: str) -> bool:
    """No leading, trailing or doubled dot."""
    return not text.startswith(".") and not text.endswith(".") and ".." not in text
