"""What a failed outbound call means: one plain-English sentence, and whether it was sent.

aiohttp's failure classes are mapped by phase, which decides
`OutboundError.maybe_delivered`:

- before the request could leave (DNS, refused, connect timeout, TLS handshake, pool
  wait, an address that is not valid): not sent, always safe to try again;
- once a connection was handed to the request (write errors, reset or close while
  waiting or reading, read timeout, broken or undecodable answer): maybe delivered.
"""

from __future__ import annotations

import errno
import socket
import ssl
from collections.abc import Iterator

import aiohttp
from aiohttp.http_exceptions import (
    ContentEncodingError,
    ContentLengthError,
    LineTooLong,
    TransferEncodingError,
)

from app.integrations.ssrf_guard import OutboundPolicy, UnknownHost


class OutboundError(Exception):
    """The destination could not be reached or did not answer in time (plain English).

    `maybe_delivered` is True when the request may already have reached the destination
    (the connection broke or timed out after it was sent): sending it again could do the
    same thing twice, so only steps that are safe to repeat are retried then.
    """

    def __init__(self, message: str, *, maybe_delivered: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.maybe_delivered = maybe_delivered


class LostAfterSending(Exception):
    """A connection broke after the request was handed to it (hides it from aiohttp's retry)."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


def failure_of(exc: BaseException, host: str, policy: OutboundPolicy) -> OutboundError:
    """The OutboundError for an aiohttp failure while calling `host`."""
    if isinstance(exc, LostAfterSending):
        exc = exc.cause
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return OutboundError(
            f"Could not connect to {host} within {in_seconds(policy.connect_timeout)}."
        )
    if isinstance(exc, aiohttp.ServerTimeoutError):
        return _maybe(f"The destination did not answer within {in_seconds(policy.read_timeout)}.")
    if isinstance(exc, aiohttp.ClientConnectorError | aiohttp.ServerFingerprintMismatch):
        return OutboundError(f"Could not connect to {host}: {connect_failure_reason(exc)}")
    if isinstance(exc, aiohttp.NonHttpUrlClientError):
        return OutboundError(
            "Hookline only calls web addresses that start with http:// or https://."
        )
    if isinstance(exc, aiohttp.InvalidURL):  # e.g. a host like 2130706433 or 127.1
        return OutboundError(
            f"Could not connect to {host}: the address is not a valid host name or IP address "
            "(write an IP address as four numbers, e.g. 203.0.113.7)"
        )
    broken_answer = _broken_answer(exc, host)
    if broken_answer is not None:
        return _maybe(broken_answer)
    if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientResponseError):
        return _maybe(f"{host} closed the connection or sent an answer that is not valid HTTP.")
    if isinstance(exc, aiohttp.ClientOSError) and exc.strerror:
        return _maybe(
            f"The connection to {host} broke after the request was sent ({exc.strerror.lower()})."
        )
    reason = str(exc) or " / ".join(str(cause) or type(cause).__name__ for cause in causes(exc))
    return _maybe(f"The request to {host} failed: {reason or type(exc).__name__}.")


def _broken_answer(exc: BaseException, host: str) -> str | None:
    """Say what was wrong with an answer aiohttp could not read, if it says which part."""
    chain = list(causes(exc))
    if any(isinstance(cause, ContentEncodingError) for cause in chain):
        return f"{host} sent a compressed answer that Hookline could not decode."
    if any(isinstance(cause, LineTooLong) for cause in chain):
        return f"{host} sent an answer whose headers are too long to read."
    cut = (ContentLengthError, TransferEncodingError, aiohttp.ClientPayloadError)
    if any(isinstance(cause, cut) for cause in chain):
        return f"{host} closed the connection before sending its whole answer."
    return None


def _maybe(message: str) -> OutboundError:
    return OutboundError(message, maybe_delivered=True)


def underlying_error(exc: BaseException) -> BaseException:
    """The OS or TLS error aiohttp wrapped (so messages can name it), else `exc` itself."""
    if isinstance(exc, LostAfterSending):
        return exc.cause
    wrapped = getattr(exc, "certificate_error", None) or getattr(exc, "os_error", None)
    return wrapped if isinstance(wrapped, BaseException) else exc


def connect_failure_reason(exc: BaseException) -> str:
    """Find the underlying OS or TLS error and name it the way a user would."""
    for cause in causes(underlying_error(exc)):
        if isinstance(cause, ConnectionRefusedError) or (
            isinstance(cause, OSError) and cause.errno == errno.ECONNREFUSED
        ):
            return "connection refused"
        if isinstance(cause, socket.gaierror | UnknownHost):
            return "the name could not be found (check the spelling of the address)"
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"its TLS certificate could not be verified ({cause.verify_message})"
        if isinstance(cause, ssl.SSLError):
            return "the secure (TLS) connection could not be set up"
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror.lower()
    return str(exc) or "the connection failed"


def causes(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and the exceptions it was raised from or during, each once."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def in_seconds(value: float) -> str:
    shown = f"{value:g}"
    return f"{shown} second" if shown == "1" else f"{shown} seconds"
