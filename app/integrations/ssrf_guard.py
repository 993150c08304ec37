"""The SSRF guard: which addresses Hookline may call, checked at connect time after DNS.

For the outbound HTTP client (aiohttp), `GuardedResolver` resolves names and
drops every address the policy blocks, so a name that resolves (or re-resolves, as in DNS
rebinding) to a private address is never reached; `guarded_socket` checks the final
address once more as the socket is opened, which also covers IP literals (aiohttp does
not resolve those). TLS still verifies against the host name the user gave. SMTP
delivery uses `resolve_permitted` and connects to one of the addresses it returns.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
from dataclasses import dataclass

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.connector import AddrInfoType, SocketFactoryType

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
_METADATA = ipaddress.IPv4Address("169.254.169.254")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_ULA = ipaddress.IPv6Network("fc00::/7")


@dataclass(frozen=True)
class OutboundPolicy:
    """Limits for every outbound call: allowed private networks, timeouts, size caps."""

    allow_networks: tuple[IPNetwork, ...] = ()
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    total_timeout: float = 60.0
    max_response_bytes: int = 1_048_576
    max_redirects: int = 5
    user_agent: str = "Hookline/0.1"


class BlockedDestination(Exception):
    """The destination is a private or local address the policy does not allow."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @classmethod
    def for_address(cls, host: str, address: IPAddress, reason: str) -> BlockedDestination:
        """Explain the block in plain English, naming the host and what it resolved to."""
        if _same_address(host, address):
            detail = f"{address} is {reason}"
        else:
            detail = f"{host} resolves to {address}, which is {reason}"
        return cls(
            f"Hookline does not call private or local addresses ({detail}). "
            "An operator can allow it with OUTBOUND_ALLOW_NETWORKS."
        )


def _same_address(host: str, address: IPAddress) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")) == address
    except ValueError:
        return False


def is_blocked_address(ip: IPAddress, policy: OutboundPolicy) -> str | None:
    """Say why `ip` may not be called ("loopback", ...), or None when it may."""
    if any(ip in network for network in policy.allow_networks):
        return None
    embedded = _embedded_ipv4(ip)
    if embedded is not None:
        inner = is_blocked_address(embedded, policy)
        return None if inner is None else f"an IPv6 form of {embedded}, which is {inner}"
    return _reason_for(ip)


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address hidden inside an IPv4-mapped, 6to4, Teredo or NAT64 address."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _reason_for(ip: IPAddress) -> str | None:
    """Name the special-purpose range `ip` belongs to; None for public addresses."""
    checks: list[tuple[bool, str]] = [
        (ip.is_unspecified, "unspecified"),
        (ip.is_loopback, "loopback"),
        (ip == _METADATA, "the cloud metadata address (link-local)"),
        (ip.is_link_local, "link-local"),
        (ip in _CGNAT, "carrier-grade NAT (shared address space)"),
        (ip.is_multicast, "multicast"),
        (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local, "site-local"),
        (ip in _ULA, "a unique local IPv6 address"),
        (ip.is_reserved, "reserved"),
        (ip.is_private, "a private network address"),
        (not ip.is_global, "not a public internet address"),
    ]
    return next((reason for matched, reason in checks if matched), None)


def check_literal_host(host: str, policy: OutboundPolicy) -> None:
    """Raise BlockedDestination early when `host` is an IP literal the policy blocks."""
    address = _literal_address(host)
    if address is None:
        return
    reason = is_blocked_address(address, policy)
    if reason is not None:
        raise BlockedDestination.for_address(host, address, reason)


@functools.lru_cache(maxsize=1024)
def _literal_address(host: str) -> IPAddress | None:
    """The address `host` spells, or None for a name (cached: asked once per call)."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


class UnknownHost(OSError):
    """The host name could not be resolved (nothing was sent)."""


async def resolve_permitted(host: str, port: int, policy: OutboundPolicy) -> list[IPAddress]:
    """Resolve `host` and keep only the addresses the policy allows (at least one, or raise)."""
    return [address for address, _ in await _resolve_permitted_infos(host, port, policy)]


async def _resolve_permitted_infos(
    host: str, port: int, policy: OutboundPolicy, family: int = 0
) -> list[tuple[IPAddress, int]]:
    """(address, family) pairs of `host` the policy allows; UnknownHost or BlockedDestination."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, family=family, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UnknownHost(f"the name {host} could not be found") from exc
    except UnicodeError as exc:  # a label that is empty or over 63 characters (a..b)
        raise UnknownHost(f"the name {host} is not a valid host name") from exc
    found = dict.fromkeys((ipaddress.ip_address(info[4][0]), int(info[0])) for info in infos)
    permitted = [pair for pair in found if is_blocked_address(pair[0], policy) is None]
    if not permitted:
        first = next(iter(found))[0]
        raise BlockedDestination.for_address(
            host, first, is_blocked_address(first, policy) or "blocked"
        )
    return permitted


class GuardedResolver(AbstractResolver):
    """aiohttp's resolver for the outbound client: only addresses the policy permits.

    aiohttp does not call a resolver for IP literals, so `guarded_socket` checks every
    address again right before connecting, literals included.
    """

    def __init__(self, policy: OutboundPolicy) -> None:
        self._policy = policy

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        pairs = await _resolve_permitted_infos(host, port, self._policy, family)
        numeric = socket.AI_NUMERICHOST | socket.AI_NUMERICSERV
        return [
            ResolveResult(
                hostname=host, host=str(ip), port=port, family=ip_family, proto=0, flags=numeric
            )
            for ip, ip_family in pairs
        ]

    async def close(self) -> None:
        return None


def guarded_socket(policy: OutboundPolicy) -> SocketFactoryType:
    """A socket factory for aiohttp that refuses to open a socket to a blocked address.

    This is the last check, where the address to connect to is final: after DNS for
    names, and the only one aiohttp makes for IP literals.
    """

    def open_socket(addr_info: AddrInfoType) -> socket.socket:
        family, kind, proto, _, sockaddr = addr_info
        address = ipaddress.ip_address(sockaddr[0])
        reason = is_blocked_address(address, policy)
        if reason is not None:
            raise BlockedDestination.for_address(str(address), address, reason)
        return socket.socket(family, kind, proto)

    return open_socket
