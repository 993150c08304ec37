"""Which addresses the SSRF guard refuses, and how an operator opens a network up."""

from __future__ import annotations

import ipaddress

import pytest

from app.integrations.ssrf_guard import OutboundPolicy, is_blocked_address

DEFAULT = OutboundPolicy()


@pytest.mark.parametrize(
    ("address", "reason_mentions"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "metadata"),
        ("169.254.1.1", "link-local"),
        ("fe80::1", "link-local"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("fd00::1", "unique local"),
        ("fec0::1", "site-local"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:169.254.169.254", "metadata"),
        ("2002:7f00:1::", "loopback"),  # 6to4 wrapping 127.0.0.1
        ("2002:c0a8:101::", "private"),  # 6to4 wrapping 192.168.1.1
        ("64:ff9b::a00:1", "private"),  # NAT64 wrapping 10.0.0.1
        ("192.0.2.10", "private"),  # documentation range (IANA special-purpose)
    ],
)
def test_is_blocked_address_refuses_special_ranges(address: str, reason_mentions: str) -> None:
    reason = is_blocked_address(ipaddress.ip_address(address), DEFAULT)

    assert reason is not None
    assert reason_mentions in reason


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"]
)
def test_is_blocked_address_allows_public_addresses(address: str) -> None:
    assert is_blocked_address(ipaddress.ip_address(address), DEFAULT) is None


def test_is_blocked_address_respects_allowed_networks() -> None:
    policy = OutboundPolicy(
        allow_networks=(ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("fd00::/8"))
    )

    assert is_blocked_address(ipaddress.ip_address("10.20.30.40"), policy) is None
    assert is_blocked_address(ipaddress.ip_address("fd00::1"), policy) is None
    assert is_blocked_address(ipaddress.ip_address("::ffff:10.0.0.1"), policy) is None
    assert is_blocked_address(ipaddress.ip_address("192.168.0.1"), policy) is not None
    assert is_blocked_address(ipaddress.ip_address("127.0.0.1"), policy) is not None
