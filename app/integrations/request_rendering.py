"""Rendering an outbound request's templates: header values and bodies (text or JSON).

Every problem is reported against the field it came from ("Body: ...", "Header X: ...")
so the user knows where to look; warnings are prefixed the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from app.workflows.exact_json import dump_exact_json
from app.workflows.templating import (
    TemplateProblem,
    render_json_body,
    render_text,
    render_value,
)

JSON_TYPE = "application/json"
TEXT_TYPE = "text/plain; charset=utf-8"


class FieldProblem(ValueError):
    """A field could not be rendered; the message starts with the field's name."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TemplateRenderer:
    """Renders templates against one context, collecting warnings with field prefixes."""

    def __init__(self, context: Mapping[str, Any], on_missing: Literal["warn", "error"]) -> None:
        self.context = context
        self.on_missing: Literal["warn", "error"] = on_missing
        self.warnings: list[str] = []

    def text(self, field: str, source: str) -> str:
        """Render `source` as plain text."""
        try:
            rendered = render_text(source, self.context, on_missing=self.on_missing)
        except TemplateProblem as exc:
            raise FieldProblem(f"{field}: {exc.message}") from exc
        self.warnings.extend(f"{field}: {warning}" for warning in rendered.warnings)
        return str(rendered.value)

    def json_text(self, field: str, source: str) -> str:
        """Render `source` as a JSON document with every inserted value JSON-escaped."""
        try:
            rendered = render_json_body(source, self.context, on_missing=self.on_missing)
        except TemplateProblem as exc:
            raise FieldProblem(f"{field}: {exc.message}") from exc
        self.warnings.extend(f"{field}: {warning}" for warning in rendered.warnings)
        return str(rendered.value)

    def tree(self, field: str, node: dict[str, Any] | list[Any]) -> Any:
        """Render every string in a JSON-shaped value; a lone `{{ expr }}` keeps its type."""
        try:
            rendered = render_value(node, self.context, on_missing=self.on_missing)
        except TemplateProblem as exc:
            raise FieldProblem(f"{field}: {exc.message}") from exc
        self.warnings.extend(f"{field}: {warning}" for warning in rendered.warnings)
        return rendered.value


def render_headers(headers: Mapping[str, str], renderer: TemplateRenderer) -> list[tuple[str, str]]:
    """Render each header value and check it can be sent on one line."""
    rendered: list[tuple[str, str]] = []
    for name, source in headers.items():
        field = f"Header {name}"
        value = renderer.text(field, source).strip()
        if "\r" in value or "\n" in value:
            raise FieldProblem(f"{field}: the value contains a line break, which headers cannot")
        if not value.isascii():
            raise FieldProblem(
                f"{field}: the value contains characters a header cannot carry (only plain ASCII)"
            )
        rendered.append((name, value))
    return rendered


def render_body(
    body: str | dict[str, Any] | list[Any] | None,
    headers: list[tuple[str, str]],
    renderer: TemplateRenderer,
) -> tuple[str | None, str | None]:
    """Render the body; return its text and the Content-Type to use if none was given."""
    if body is None:
        return None, None
    if not isinstance(body, str):
        try:
            return dump_exact_json(renderer.tree("Body", body)), JSON_TYPE
        except (TypeError, ValueError) as exc:
            raise FieldProblem(f"Body: it could not be written as JSON ({exc})") from exc
    content_type = _content_type(headers)
    if (content_type is None and _looks_like_json(body)) or is_json_type(content_type):
        return renderer.json_text("Body", body), JSON_TYPE
    return renderer.text("Body", body), TEXT_TYPE


def _content_type(headers: list[tuple[str, str]]) -> str | None:
    return next((value for name, value in headers if name.lower() == "content-type"), None)


def is_json_type(content_type: str | None) -> bool:
    """True for application/json and any +json media type."""
    if content_type is None:
        return False
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == JSON_TYPE or media_type.endswith("+json")


def _looks_like_json(source: str) -> bool:
    return source.lstrip().startswith(("{", "["))
