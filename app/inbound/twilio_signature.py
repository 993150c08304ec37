"""Twilio's `X-Twilio-Signature`: base64 HMAC-SHA1 of the URL plus sorted POST parameters.

Twilio signs the URL it was configured with, which our server may see differently:
behind a TLS-terminating proxy the scheme arrives as `http`, and Twilio's own
validators accept the URL with and without the default port. So the check tries,
for both `https` and `http`: the URL as received, with the default port added, and
with the port removed. All are the same endpoint; only the secret makes a match.

Form posts (`application/x-www-form-urlencoded`) append every parameter as
name + value, names sorted, each name's distinct values sorted. Other bodies are
signed through the URL alone, which then carries `bodySHA256=<hex sha256 of body>`;
that hash must match the body too.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import SplitResult, parse_qsl, urlsplit, urlunsplit

from app.inbound.request import InboundRequest
from app.inbound.signature_verdict import (
    MISMATCH,
    SignatureVerdict,
    decode_base64,
    failed,
    hmac_digest,
    matches_any,
    missing_header,
    passed,
)
from app.inbound.trigger_config import SignatureConfig

_DEFAULT_PORTS = {"https": 443, "http": 80}


def check_twilio(config: SignatureConfig, request: InboundRequest) -> SignatureVerdict:
    """Verify `X-Twilio-Signature` against every URL form Twilio may have signed."""
    header = request.header("X-Twilio-Signature")
    if header is None:
        return missing_header("X-Twilio-Signature")
    body_hash = request.query_value("bodySHA256")
    if body_hash is not None:
        actual = hashlib.sha256(request.body).hexdigest()
        if not hmac.compare_digest(actual.encode(), body_hash.strip().lower().encode()):
            return failed("The bodySHA256 in the URL does not match the body")
        suffix = ""
    else:
        suffix = signed_params(request)
    expected = [
        hmac_digest(secret.encode(), (url + suffix).encode(), "sha1")
        for secret in config.secrets
        for url in twilio_url_forms(request.url)
    ]
    if not matches_any(expected, [decode_base64(header)]):
        return failed(MISMATCH + "; Twilio signs the exact URL set in its console")
    return passed("Twilio")


def signed_params(request: InboundRequest) -> str:
    """The POST parameters as Twilio concatenates them (empty unless a form post)."""
    if request.media_type != "application/x-www-form-urlencoded":
        return ""
    text = request.body.decode("utf-8", errors="replace")
    values: dict[str, set[str]] = {}
    for name, value in parse_qsl(text, keep_blank_values=True):
        values.setdefault(name, set()).add(value)
    return "".join(name + value for name in sorted(values) for value in sorted(values[name]))


def twilio_url_forms(url: str) -> list[str]:
    """The distinct URL spellings to try: both schemes, each as-is, with and without port."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return [url]
    forms = [url]
    for scheme in dict.fromkeys([parts.scheme, "https", "http"]):
        swapped = parts._replace(scheme=scheme)
        forms += [urlunsplit(swapped), _with_port(swapped), _without_port(swapped)]
    return list(dict.fromkeys(forms))


def _host(parts: SplitResult) -> str:
    """userinfo@host, IPv6 literals bracketed, port left out."""
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.username is not None:
        userinfo = parts.username
        if parts.password is not None:
            userinfo += f":{parts.password}"
        host = f"{userinfo}@{host}"
    return host


def _with_port(parts: SplitResult) -> str:
    if parts.port is not None or parts.scheme not in _DEFAULT_PORTS:
        return urlunsplit(parts)
    netloc = f"{_host(parts)}:{_DEFAULT_PORTS[parts.scheme]}"
    return urlunsplit(parts._replace(netloc=netloc))


def _without_port(parts: SplitResult) -> str:
    return urlunsplit(parts._replace(netloc=_host(parts)))
