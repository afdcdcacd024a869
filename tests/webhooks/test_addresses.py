"""Which addresses a webhook may reach: public ones, and this machine only when allowed."""

from __future__ import annotations

import ipaddress

import pytest

from fvs.webhooks.addresses import UnsafeUrl, check_url, refusal


@pytest.mark.parametrize(
    ("address", "allowed_when_private_ok"),
    [
        ("10.0.0.1", True),
        ("172.16.5.4", True),
        ("192.168.1.1", True),
        ("100.64.0.1", True),  # carrier-grade NAT
        ("127.0.0.1", True),
        ("::1", True),
        ("fc00::1", True),
        ("::ffff:10.0.0.1", True),  # IPv4-mapped IPv6 is unwrapped
        ("169.254.169.254", False),  # cloud metadata: never
        ("169.254.1.1", False),
        ("fe80::1", False),
        ("100.100.100.200", False),  # Alibaba's metadata service
        ("0.0.0.0", False),
        ("224.0.0.1", False),
    ],
)
def test_private_addresses_are_refused(address: str, allowed_when_private_ok: bool) -> None:
    ip = ipaddress.ip_address(address)
    assert refusal(ip, allow_private=False) is not None
    assert (refusal(ip, allow_private=True) is None) is allowed_when_private_ok


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert refusal(ipaddress.ip_address(address), allow_private=False) is None


def test_the_checked_address_is_the_one_pinned() -> None:
    target = check_url("http://127.0.0.1:8123/in?x=1", allow_private=True, field="url")
    assert (target.scheme, target.host, target.port, target.path, target.address) == (
        "http",
        "127.0.0.1",
        8123,
        "/in?x=1",
        "127.0.0.1",
    )


def test_plain_http_is_for_this_machine_only() -> None:
    with pytest.raises(UnsafeUrl) as refused:
        check_url("http://10.0.0.7/in", allow_private=True, field="webhook_url")
    assert refused.value.field == "webhook_url"
    assert "localhost" in refused.value.message
