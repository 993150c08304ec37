"""The outcome of a signature check, and the primitives every preset shares.

Comparisons are constant-time (`hmac.compare_digest`) over decoded digest bytes,
so hex case and base64 padding variants compare equal while timing leaks nothing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

MISMATCH = "The signature does not match the body (check the signing secret)"


@dataclass(frozen=True)
class SignatureVerdict:
    """Whether the request is authentic, and why, in plain English."""

    ok: bool
    reason: str


def passed(label: str) -> SignatureVerdict:
    return SignatureVerdict(True, f"The {label} signature matches")


def failed(reason: str) -> SignatureVerdict:
    return SignatureVerdict(False, reason)


def missing_header(name: str) -> SignatureVerdict:
    return SignatureVerdict(False, f"The {name} header is missing")


def hmac_digest(key: bytes, message: bytes, algorithm: str = "sha256") -> bytes:
    """HMAC of a message with the named hash (sha1, sha256, sha512)."""
    return hmac.new(key, message, getattr(hashlib, algorithm)).digest()


def matches_any(expected: list[bytes], received: list[bytes | None]) -> bool:
    """True when any received signature equals any expected digest, compared in constant time."""
    found = False
    for want in expected:
        for got in received:
            if got is not None and hmac.compare_digest(want, got):
                found = True
    return found


def decode_hex(text: str) -> bytes | None:
    """Bytes of a hex string (either case), or None if it is not hex."""
    try:
        return bytes.fromhex(text.strip())
    except ValueError:
        return None


def decode_base64(text: str) -> bytes | None:
    """Bytes of standard or URL-safe base64 (padding optional), or None if it is neither."""
    cleaned = text.strip()
    padded = cleaned + "=" * (-len(cleaned) % 4)
    for alphabet in (b"+/", b"-_"):
        try:
            return base64.b64decode(padded, altchars=alphabet, validate=True)
        except (binascii.Error, ValueError):
            continue
    return None


def read_timestamp(text: str, header: str) -> int | SignatureVerdict:
    """A Unix timestamp from a header value, or a verdict saying it is not one."""
    try:
        return int(text.strip())
    except ValueError:
        return failed(f"The {header} header is not a Unix timestamp: {text[:40]!r}")


def check_age(timestamp: int, label: str, tolerance: int, now: datetime) -> SignatureVerdict | None:
    """A failing verdict when the signed timestamp is outside the tolerance, else None."""
    age = int(now.timestamp()) - timestamp
    if age > tolerance:
        return failed(
            f"The {label} timestamp is {age} seconds old (more than {tolerance} allowed); "
            "the request may be a replay or the sender's clock is wrong"
        )
    if -age > tolerance:
        return failed(
            f"The {label} timestamp is {-age} seconds in the future "
            f"(more than {tolerance} allowed); check the sender's clock"
        )
    return None
