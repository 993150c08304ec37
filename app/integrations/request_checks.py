"""What an HTTP step's address and header names must look like when it is saved.

Shared by the HTTP request step and the chat steps (which post to a webhook address).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
# How the message is framed and how the connection behaves is Hookline's to set: a
# user's Transfer-Encoding or Content-Length could end the request early on a pooled
# connection and slip a second request in behind it (request smuggling).
_FRAMING_HEADERS = frozenset(
    {"content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "te"}
    | {"trailer", "proxy-connection", "expect"}
)
_TEMPLATE_PART = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
_PLACEHOLDER = "placeholder"


def check_header_name(name: str) -> None:
    if not _HEADER_NAME.fullmatch(name):
        raise ValueError(f'"{name}" is not a valid header name (use letters, digits and dashes).')
    if name.lower() in _FRAMING_HEADERS:
        raise ValueError(f'Hookline sets the "{name}" header itself; remove it from the headers.')


def describe_url_problem(url: str, *, templated: bool) -> str | None:
    """Say what is wrong with a web address, or None; template parts count as filled in."""
    candidate = _TEMPLATE_PART.sub(_PLACEHOLDER, url) if templated else url
    if templated and candidate.startswith(_PLACEHOLDER):
        return None  # the whole address comes from the data; checked again when it runs
    parts = urlsplit(candidate)
    if parts.scheme.lower() not in ("http", "https"):
        return "The address must start with http:// or https://."
    if not parts.hostname:
        return "The address must include a host name, like https://api.example.com/."
    if not templated:
        try:
            parts.port  # noqa: B018 - reading it validates the port
        except ValueError:
            return "The port in the address must be a number between 0 and 65535."
    return None
