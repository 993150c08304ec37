"""Compressed request bodies: the readable bytes behind `Content-Encoding`, within a cap.

The stored body stays exactly as sent (signatures are checked over those bytes); only the
parsed view that templates read is built from the decoded bytes. gzip (`x-gzip`) and
deflate (zlib-wrapped or raw) are decoded with the standard library's `zlib`, never past
`MAX_DECODED_BYTES` (a small "zip bomb" cannot fill memory). Anything else, or bytes
that do not decompress, keeps the raw body and says why in a warning.
"""

from __future__ import annotations

import zlib

MAX_DECODED_BYTES = 16 * 1024 * 1024
_GZIP = 16 + zlib.MAX_WBITS
_READABLE = {"gzip": (_GZIP,), "x-gzip": (_GZIP,), "deflate": (zlib.MAX_WBITS, -zlib.MAX_WBITS)}


def decoded_body(
    content_encoding: str | None, body: bytes, *, cap: int = MAX_DECODED_BYTES
) -> tuple[bytes, tuple[str, ...]]:
    """The body with its content codings undone (last applied first), and any warnings."""
    codings = [
        coding.strip().lower() for coding in (content_encoding or "").split(",") if coding.strip()
    ]
    codings = [coding for coding in codings if coding != "identity"]
    if not codings or not body:
        return body, ()
    unknown = [coding for coding in codings if coding not in _READABLE]
    if unknown:
        return body, (
            f"The body is compressed with {', '.join(unknown)}, which Hookline cannot read; "
            "it is stored as sent. Turn compression off in the sender to use its fields.",
        )
    readable = body
    for coding in reversed(codings):
        decoded = _decompress(readable, _READABLE[coding], cap)
        if decoded is None:
            return body, (
                f"The body says it is {coding}-compressed but does not decompress; it is "
                "stored as sent.",
            )
        if len(decoded) > cap:
            return body, (
                f"The body is larger than {cap // (1024 * 1024)} MB once decompressed; it is "
                "stored as sent, compressed.",
            )
        readable = decoded
    return readable, ()


def _decompress(data: bytes, formats: tuple[int, ...], cap: int) -> bytes | None:
    for wbits in formats:
        inflater = zlib.decompressobj(wbits)
        try:
            out = inflater.decompress(data, cap + 1)
        except zlib.error:
            continue
        if len(out) > cap or inflater.eof:
            return out
    return None
