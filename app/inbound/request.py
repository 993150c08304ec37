"""The inbound HTTP request as received, frozen: exact bytes, ordered headers, raw query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from urllib.parse import parse_qsl

from multipart import parse_options_header  # type: ignore[import-untyped]


@dataclass(frozen=True)
class InboundRequest:
    """Everything the web edge saw, before any interpretation.

    `headers` keeps the original order, repeats and spelling; `body` is the exact
    bytes that signatures are checked over and that the store keeps.
    """

    method: str
    url: str
    path: str
    raw_query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    received_at: datetime

    def header(self, name: str) -> str | None:
        """The first value of a header, matched case-insensitively."""
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None

    def header_all(self, name: str) -> list[str]:
        """Every value of a header in the order received."""
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]

    @property
    def content_type(self) -> str | None:
        """The Content-Type header as sent (parameters included), if any."""
        return self.header("content-type")

    @property
    def media_type(self) -> str | None:
        """The Content-Type without parameters, lower-cased (`application/json`)."""
        if self.content_type is None:
            return None
        media_type, _options = parse_options_header(self.content_type)
        return str(media_type).lower() or None

    @cached_property
    def query_pairs(self) -> list[tuple[str, str]]:
        """Decoded query parameters in order, repeats kept, blank values kept."""
        return parse_qsl(self.raw_query, keep_blank_values=True, errors="replace")

    @cached_property
    def query_dict(self) -> dict[str, str | list[str]]:
        """Query parameters by name; a repeated name holds a list of its values."""
        result: dict[str, str | list[str]] = {}
        for key, value in self.query_pairs:
            existing = result.get(key)
            if existing is None:
                result[key] = value
            elif isinstance(existing, list):
                existing.append(value)
            else:
                result[key] = [existing, value]
        return result

    def query_value(self, name: str) -> str | None:
        """The first decoded value of a query parameter, if present."""
        for key, value in self.query_pairs:
            if key == name:
                return value
        return None
