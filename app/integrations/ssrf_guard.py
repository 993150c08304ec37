"""The SSRF guard: which addresses Hookline may call, checked at connect time after DNS.

`GuardedNetworkBackend` is an httpcore network backend that resolves the host itself,
drops every address the policy blocks and connects to a checked IP, so a name that
resolves (or re-resolves, as in DNS rebinding) to a private address is never reached.
TLS still verifies against the original host name because httpcore passes that name
to `start_tls`, not the IP we connected to.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass

import anyio
import httpcore

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
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return
    reason = is_blocked_address(address, policy)
    if reason is not None:
        raise BlockedDestination.for_address(host, address, reason)


async def resolve_permitted(host: str, port: int, policy: OutboundPolicy) -> list[IPAddress]:
    """Resolve `host` and keep only the addresses the policy allows (at least one, or raise)."""
    try:
        infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise httpcore.ConnectError(f"the name {host} could not be found") from exc
    addresses = _unique(ipaddress.ip_address(info[4][0]) for info in infos)
    permitted = [ip for ip in addresses if is_blocked_address(ip, policy) is None]
    if not permitted:
        first = addresses[0]
        raise BlockedDestination.for_address(
            host, first, is_blocked_address(first, policy) or "blocked"
        )
    return permitted


def _unique(addresses: Iterable[IPAddress]) -> list[IPAddress]:
    return list(dict.fromkeys(addresses))


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """An httpcore backend that connects only to resolved addresses the policy permits."""

    def __init__(self, policy: OutboundPolicy, inner: httpcore.AsyncNetworkBackend) -> None:
        self._policy = policy
        self._inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            with anyio.fail_after(timeout):
                return await self._connect_first(host, port, local_address, socket_options)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"connecting to {host} timed out") from exc

    async def _connect_first(
        self,
        host: str,
        port: int,
        local_address: str | None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None,
    ) -> httpcore.AsyncNetworkStream:
        """Try each permitted address in order; re-raise the last failure if all fail."""
        last_error: Exception | None = None
        for address in await resolve_permitted(host, port, self._policy):
            try:
                return await self._inner.connect_tcp(
                    str(address),
                    port,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
        assert last_error is not None  # resolve_permitted never returns an empty list
        raise last_error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedDestination("Hookline does not call local Unix sockets.")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)
