"""Which HTTP header names carry credentials: the one rule for sealing, masking and display.

A header is secret when its name contains one of SECRET_NAME_WORDS, case-insensitive:
`Authorization`, `X-Custom-Token`, `X-Shopify-Access-Token`, `PRIVATE-TOKEN`,
`X-Postmark-Server-Token`, `Cookie`, `Set-Cookie`, `X-API-Key`... Pure, so the store
(sealing, app/store/sealing.py) and the integrations (run-page display) share it.
"""

from __future__ import annotations

SECRET_NAME_WORDS = (
    "token",
    "secret",
    "key",
    "auth",
    "password",
    "passwd",
    "signature",
    "session",
    "cookie",
)


def is_secret_header(name: str) -> bool:
    """Whether a header with this name holds a credential (shown hidden, stored sealed)."""
    lowered = name.lower()
    return any(word in lowered for word in SECRET_NAME_WORDS)
