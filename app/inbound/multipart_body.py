"""Reading `multipart/form-data` bodies in memory: text fields and uploaded files.

Uses the sans-I/O `PushMultipartParser` of the `multipart` package (the parser
Litestar itself depends on), so nothing is spooled to disk here; the web edge has
already capped the body size.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from multipart import MultipartError, PushMultipartParser  # type: ignore[import-untyped]


@dataclass(frozen=True)
class UploadedFile:
    """One file part of a multipart body, with the facts shown to users."""

    field: str
    filename: str
    content_type: str
    size: int
    sha256: str
    data: bytes

    def describe(self) -> dict[str, Any]:
        """The file's metadata as plain data (what templates and the API show)."""
        return {
            "filename": self.filename,
            "content_type": self.content_type,
            "size": self.size,
            "sha256": self.sha256,
        }


@dataclass
class MultipartContents:
    """Text fields in order (repeats kept), files in order, and decoding warnings."""

    fields: list[tuple[str, str]] = field(default_factory=list)
    files: list[UploadedFile] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class UnreadableMultipart(ValueError):
    """The body is not a multipart stream we can read; the message says why."""


def read_multipart(body: bytes, boundary: str, charset: str = "utf-8") -> MultipartContents:
    """Split a multipart body into text fields and files."""
    contents = MultipartContents()
    parts: list[tuple[Any, bytearray]] = []
    try:
        with PushMultipartParser(boundary, max_header_count=32) as parser:
            for event in [*parser.parse(body), *parser.parse(b"")]:
                if event is None:
                    continue
                if isinstance(event, bytes | bytearray):
                    parts[-1][1].extend(event)
                else:
                    parts.append((event, bytearray()))
    except MultipartError as error:
        raise UnreadableMultipart(f"The multipart body could not be read ({error})") from error
    for segment, data in parts:
        _collect_part(contents, segment, bytes(data), charset)
    return contents


def _collect_part(contents: MultipartContents, segment: Any, data: bytes, charset: str) -> None:
    """File one part as a text field or an uploaded file."""
    name = str(segment.name or "")
    if segment.filename is not None:
        if segment.filename == "" and not data:
            return  # a browser's "no file chosen" placeholder
        contents.files.append(
            UploadedFile(
                field=name,
                filename=str(segment.filename),
                content_type=str(segment.content_type or "application/octet-stream"),
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                data=data,
            )
        )
        return
    contents.fields.append((name, _decode_field(contents, name, data, segment.charset or charset)))


def _decode_field(contents: MultipartContents, name: str, data: bytes, charset: str) -> str:
    """Decode a field's text; unreadable bytes become U+FFFD with a warning."""
    try:
        return data.decode(charset)
    except (UnicodeDecodeError, LookupError):
        contents.warnings.append(
            f"The form field {name!r} is not valid {charset} text; "
            "unreadable characters were replaced"
        )
        return data.decode("utf-8", errors="replace")
