"""Security headers on every response: no framing, no MIME sniffing, a strict CSP.

Pages load scripts and styles only from /static (htmx and the app's own files are
vendored; no inline script or style anywhere in templates/), so the policy can be
`'self'` throughout. The API reference at /schema renders with the vendored Redoc, which
is started by an inline script, styles itself inline and runs a blob: worker, so that
static page (no user data on it) gets a looser policy of its own.

It is a `before_send` hook rather than a middleware so that answers Litestar makes
before routing (404 for unknown paths, 405) carry the headers too.
"""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)
API_REFERENCE_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)
ALWAYS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}


async def add_security_headers(message: Message, scope: Scope) -> None:
    """Add the headers to an HTTP response start (keeping any a handler set itself)."""
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    policy = API_REFERENCE_POLICY if scope["path"].startswith("/schema") else PAGE_POLICY
    for name, value in {**ALWAYS, "content-security-policy": policy}.items():
        if name not in headers:
            headers[name] = value
