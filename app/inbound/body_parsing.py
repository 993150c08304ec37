"""The parsed view of a request body, chosen by content type; never raises.

The raw bytes stay the source of truth (stored and signature-checked elsewhere);
this module only offers a readable view of them plus plain-English warnings when
the view differs from what the sender declared. Rules:
- JSON: `application/json`, `text/json` and any `+json` type; any top-level value;
  decimals stay `Decimal` and big integers exact (`app.workflows.exact_json`).
- A missing Content-Type, `text/plain` or a form type whose whole body is a JSON
  object or array is parsed as JSON with a warning (scalars like `42` stay text:
  a plain-text "true" is more likely prose than JSON).
- Forms and multipart fields nest as described in `app.inbound.form_fields`.
- XML (`application/xml`, `text/xml`, `+xml`) through defusedxml, see `xml_body`.
- Text is decoded by the declared charset (UTF-8 when none); bytes that do not
  decode are kept as kind "binary" with a warning.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qsl

from multipart import parse_options_header  # type: ignore[import-untyped]

from app.inbound.form_fields import nest_fields
from app.inbound.multipart_body import UnreadableMultipart, UploadedFile, read_multipart
from app.inbound.xml_body import UnreadableXml, read_xml
from app.workflows.exact_json import InvalidJson, load_exact_json

__all__ = ["BodyKind", "ParsedBody", "UploadedFile", "parse_body"]

BodyKind = Literal["json", "form", "multipart", "xml", "text", "empty", "binary"]
FORM_TYPE = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class ParsedBody:
    """What the body says: its kind, a plain-data value, files, and why it was read so."""

    kind: BodyKind
    value: Any
    files: tuple[UploadedFile, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Declared:
    """The sender's Content-Type, split: media type, charset and other options."""

    media_type: str | None
    charset: str
    options: dict[str, str]
    warnings: tuple[str, ...]


def parse_body(content_type: str | None, body: bytes) -> ParsedBody:
    """Read a body as its content type suggests; always returns, whatever the bytes."""
    declared = _declare(content_type)
    parsed = _choose_reader(declared.media_type)(body, declared) if body else _EMPTY
    if declared.warnings:
        return ParsedBody(
            parsed.kind, parsed.value, parsed.files, declared.warnings + parsed.warnings
        )
    return parsed


_EMPTY = ParsedBody("empty", None)


def _declare(content_type: str | None) -> _Declared:
    """Split the Content-Type; an unknown charset falls back to UTF-8 with a warning."""
    if not content_type or not content_type.strip():
        return _Declared(None, "utf-8", {}, ())
    media_type, options = parse_options_header(content_type)
    charset = str(options.get("charset") or "utf-8").strip().lower()
    try:
        b"a".decode(charset, "ignore")  # LookupError: unknown, or not text (base64, rot13)
    except LookupError:
        warning = f"The declared charset {charset!r} is unknown, so the body was read as UTF-8"
        return _Declared(str(media_type).lower() or None, "utf-8", options, (warning,))
    return _Declared(str(media_type).lower() or None, charset, options, ())


Reader = Callable[[bytes, _Declared], ParsedBody]


def _choose_reader(media_type: str | None) -> Reader:
    """The reader for a media type."""
    if media_type is None:
        return _read_undeclared
    if media_type in ("application/json", "text/json") or media_type.endswith("+json"):
        return _read_declared_json
    if media_type in ("application/xml", "text/xml") or media_type.endswith("+xml"):
        return _read_xml
    if media_type == FORM_TYPE:
        return _read_form
    if media_type == "multipart/form-data":
        return _read_multipart
    if media_type.startswith("text/"):
        return _read_text
    return lambda body, declared: ParsedBody("binary", None)


def _decode(body: bytes, charset: str) -> str | None:
    """The body as text in its charset (a UTF-8 BOM dropped), or None if it does not decode."""
    codec = "utf-8-sig" if codecs.lookup(charset).name == "utf-8" else charset
    try:
        return body.decode(codec)
    except (UnicodeDecodeError, ValueError):
        return None


def _as_text(body: bytes, declared: _Declared, *warnings: str) -> ParsedBody:
    """The body as text, or kept as bytes with a warning when it does not decode."""
    text = _decode(body, declared.charset)
    if text is None:
        warning = f"The body is not valid {declared.charset} text, so it is kept as raw bytes"
        return ParsedBody("binary", None, (), (*warnings, warning))
    return ParsedBody("text", text, (), warnings)


def _sniff_json(text: str) -> tuple[bool, Any]:
    """Whether the whole text is a JSON object or array, and its value if so."""
    if text.lstrip()[:1] not in ("{", "["):
        return False, None
    try:
        return True, load_exact_json(text)
    except InvalidJson:
        return False, None


def _json_instead(text: str | None, said: str) -> ParsedBody | None:
    """A JSON reading of a body that was not declared as JSON, with a warning; or None."""
    if text is None:
        return None
    is_json, value = _sniff_json(text)
    if not is_json:
        return None
    return ParsedBody(
        "json", value, (), (f"{said} but the body is valid JSON, so it was parsed as JSON",)
    )


def _read_declared_json(body: bytes, declared: _Declared) -> ParsedBody:
    text = _decode(body, declared.charset)
    if text is None:
        return _as_text(body, declared)
    try:
        return ParsedBody("json", load_exact_json(text))
    except InvalidJson as error:
        said = f"Content-Type said {declared.media_type} but the body is not valid JSON"
        return _as_text(body, declared, f"{said} ({error}); it is shown as text")


def _read_undeclared(body: bytes, declared: _Declared) -> ParsedBody:
    text = _decode(body, declared.charset)
    as_json = _json_instead(text, "No Content-Type was sent,")
    if as_json is not None:
        return as_json
    if text is None:
        warning = (
            "No Content-Type was sent and the body is not UTF-8 text, so it is kept as raw bytes"
        )
        return ParsedBody("binary", None, (), (warning,))
    return ParsedBody("text", text)


def _read_text(body: bytes, declared: _Declared) -> ParsedBody:
    if declared.media_type == "text/plain":
        as_json = _json_instead(_decode(body, declared.charset), "Content-Type said text/plain")
        if as_json is not None:
            return as_json
    return _as_text(body, declared)


def _read_form(body: bytes, declared: _Declared) -> ParsedBody:
    text = _decode(body, declared.charset)
    as_json = _json_instead(text, f"Content-Type said {FORM_TYPE}")
    if as_json is not None:
        return as_json
    if text is None:
        return _as_text(body, declared)
    try:
        pairs = parse_qsl(text, keep_blank_values=True, encoding=declared.charset, errors="strict")
    except UnicodeDecodeError:
        warning = (
            f"The form values are not valid {declared.charset}, so the body is kept as raw bytes"
        )
        return ParsedBody("binary", None, (), (warning,))
    value, warnings = nest_fields(list(pairs))
    return ParsedBody("form", value, (), tuple(warnings))


def _read_multipart(body: bytes, declared: _Declared) -> ParsedBody:
    boundary = declared.options.get("boundary")
    if not boundary:
        warning = (
            "Content-Type said multipart/form-data but gave no boundary; the body is shown as-is"
        )
        return _as_text(body, declared, warning)
    try:
        contents = read_multipart(body, str(boundary), declared.charset)
    except UnreadableMultipart as error:
        return _as_text(body, declared, f"{error}; the body is shown as-is")
    pairs: list[tuple[str, Any]] = [*contents.fields]
    pairs += [(upload.field, upload.describe()) for upload in contents.files]
    value, warnings = nest_fields(pairs)
    return ParsedBody("multipart", value, tuple(contents.files), (*contents.warnings, *warnings))


def _read_xml(body: bytes, declared: _Declared) -> ParsedBody:
    try:
        return ParsedBody("xml", read_xml(body))
    except UnreadableXml as error:
        return _as_text(body, declared, f"{error}; the body is shown as text")
