"""Delivering one e-mail over SMTP, through the same SSRF policy as every web request.

The host is resolved and each address checked with the outbound policy (so
OUTBOUND_ALLOW_NETWORKS applies) before we connect; aiosmtplib then speaks SMTP over
that socket, verifying TLS certificates against the host name the user gave.
"""

from __future__ import annotations

import asyncio
import errno
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Literal

import aiosmtplib
import certifi

from app.integrations.ssrf_guard import IPAddress, OutboundPolicy, UnknownHost, resolve_permitted

TlsMode = Literal["none", "starttls", "ssl"]


class DeliveryFailed(Exception):
    """The message was not accepted; plain English, and whether trying later may help."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to deliver: host, port, TLS mode and optional login."""

    host: str
    port: int
    tls: TlsMode
    username: str | None
    password: str | None


def default_tls_context() -> ssl.SSLContext:
    """Certificates checked against certifi's CAs, like the web client."""
    return ssl.create_default_context(cafile=certifi.where())


async def deliver(
    message: EmailMessage,
    server: SmtpServer,
    policy: OutboundPolicy,
    tls_context: ssl.SSLContext,
) -> str:
    """Send `message`; return the server's final reply (raises DeliveryFailed)."""
    try:
        async with asyncio.timeout(policy.total_timeout):
            addresses = await resolve_permitted(server.host, server.port, policy)
            sock = await _connect(addresses, server.port, policy.connect_timeout)
            return await _converse(message, server, sock, tls_context, policy.read_timeout)
    except UnknownHost as exc:
        raise DeliveryFailed(f"Could not reach {server.host}: {exc}", retryable=True) from exc
    except TimeoutError as exc:
        raise DeliveryFailed(
            f"The mail server {server.host} did not answer in time.", retryable=True
        ) from exc
    except OSError as exc:
        raise DeliveryFailed(
            f"Could not connect to {server.host}: {_reason(exc)}", retryable=True
        ) from exc


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ECONNREFUSED or isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    return exc.strerror.lower() if exc.strerror else str(exc) or "the connection failed"


async def _connect(addresses: list[IPAddress], port: int, per_try: float) -> socket.socket:
    """A connected non-blocking socket to the first permitted address that answers."""
    loop = asyncio.get_running_loop()
    last_error: OSError | None = None
    for address in addresses:
        family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            async with asyncio.timeout(per_try):
                await loop.sock_connect(sock, (str(address), port))
        except (OSError, TimeoutError) as exc:
            sock.close()
            last_error = exc if isinstance(exc, OSError) else OSError("connection timed out")
            continue
        return sock
    assert last_error is not None  # resolve_permitted never returns an empty list
    raise last_error


async def _converse(
    message: EmailMessage,
    server: SmtpServer,
    sock: socket.socket,
    tls_context: ssl.SSLContext,
    read_seconds: float,
) -> str:
    client = aiosmtplib.SMTP(
        hostname=server.host,
        sock=sock,
        use_tls=server.tls == "ssl",
        start_tls=server.tls == "starttls",
        tls_context=tls_context,
        timeout=read_seconds,
    )
    try:
        await client.connect()
        if server.username:
            await client.login(server.username, server.password or "")
        _refused, reply = await client.send_message(message)
    except aiosmtplib.SMTPException as exc:
        raise _explained(exc, server) from exc
    finally:
        _hang_up(client, sock)
    return reply


def _hang_up(client: aiosmtplib.SMTP, sock: socket.socket) -> None:
    """Drop the connection at once (the message is accepted, or it failed): a QUIT and a
    TLS goodbye add nothing, and a TLS close left pending would outlive the event loop."""
    if isinstance(client.transport, asyncio.Transport):
        client.transport.abort()
    client.close()
    sock.close()


def _explained(exc: aiosmtplib.SMTPException, server: SmtpServer) -> DeliveryFailed:
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return DeliveryFailed(
            f"The mail server refused the username or password ({exc.code} {exc.message}).",
            retryable=False,
        )
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        refused = ", ".join(error.recipient for error in exc.recipients)
        return DeliveryFailed(
            f"The mail server refused the recipients: {refused}.", retryable=False
        )
    if isinstance(exc, aiosmtplib.SMTPNotSupported) and server.tls == "starttls":
        return DeliveryFailed(
            f"{server.host} does not offer STARTTLS; choose another TLS mode or port.",
            retryable=False,
        )
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return DeliveryFailed(
            f"The mail server answered {exc.code}: {exc.message}", retryable=400 <= exc.code < 500
        )
    return DeliveryFailed(f"The conversation with {server.host} failed: {exc}", retryable=True)
