"""Where a webhook may be sent: no SSRF.

A URL is https (or http to this machine when FVS_WEBHOOK_ALLOW_PRIVATE=true); every
address its host resolves to must be public. The check runs when the URL is saved and
again before each attempt, and the attempt connects to the address checked then (it is
pinned), so a DNS answer that changes in between (rebinding) cannot redirect it.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from fvs.errors import ValidationFailed

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
MAX_URL_LENGTH = 2000
# Cloud metadata services; refused even where private addresses are allowed.
METADATA = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)


class UnsafeUrl(ValidationFailed):
    code = "unsafe_webhook_url"


@dataclass(frozen=True)
class Target:
    """A checked URL and the address to connect to."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


def check_url(url: str, *, allow_private: bool, field: str) -> Target:
    """The URL's pinned target, or UnsafeUrl naming the field."""
    parts = _parse(url, field=field)
    host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
    addresses = resolve(host, port, field=field)
    for address in addresses:
        reason = refusal(address, allow_private=allow_private)
        if reason:
            raise UnsafeUrl(field, f"{host} resolves to {address}, {reason}")
    if parts.scheme == "http" and not all(a.is_loopback for a in addresses):
        raise UnsafeUrl(field, "plain http is only for this machine (localhost); use https")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, host, port, path, str(addresses[0]))


def check_shape(url: str, *, allow_private: bool, field: str) -> None:
    """The checks that need no DNS: scheme, host, no credentials, length."""
    _parse(url, field=field, allow_private=allow_private)


def _parse(url: str, *, field: str, allow_private: bool = True) -> SplitResult:
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeUrl(field, f"at most {MAX_URL_LENGTH} characters")
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
        raise UnsafeUrl(field, "must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        _ = parts.port  # a port out of range raises here
    except ValueError as exc:
        raise UnsafeUrl(field, f"not a URL: {exc}") from None
    allowed = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in allowed:
        raise UnsafeUrl(field, "must be an https URL")
    if not parts.hostname or "@" in parts.netloc:
        raise UnsafeUrl(field, "must name a host, without a user name or password")
    return parts


def resolve(host: str, port: int, *, field: str) -> list[IPAddress]:
    """Every address the host resolves to now; UnsafeUrl when it resolves to none."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError) as exc:  # UnicodeError is a ValueError, as is a NUL
        raise UnsafeUrl(field, f"{host} does not resolve: {exc}") from None
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found]
    if not addresses:
        raise UnsafeUrl(field, f"{host} does not resolve")
    return list(dict.fromkeys(addresses))


def refusal(address: IPAddress, *, allow_private: bool) -> str | None:
    """Why a webhook may not go to this address; None when it may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in METADATA or address.is_link_local:
        return "a link-local or cloud-metadata address"
    if address.is_multicast or address.is_unspecified:
        return "not a unicast address"
    if address.is_loopback:  # before is_reserved, which ::1 also is
        return None if allow_private else "a loopback address"
    if address.is_reserved:
        return "a reserved address"
    if not address.is_global:
        return None if allow_private else "a private address"
    return None
