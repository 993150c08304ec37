"""The HTTP request's extras: auth presets, query parameters and form/raw/JSON bodies.

Credentials live in the step's config under the secret names (`token`, `password`,
`api_key`), so the API and pages mask them like every other secret.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import urlencode, urlsplit, urlunsplit

from app.integrations.request_rendering import (
    JSON_TYPE,
    TEXT_TYPE,
    FieldProblem,
    TemplateRenderer,
    render_body,
)
from app.workflows.coercion import as_text
from app.workflows.exact_json import dump_exact_json

AuthPreset = Literal["none", "bearer", "basic", "api_key"]
BodyMode = Literal["auto", "json", "form", "raw"]
FORM_TYPE = "application/x-www-form-urlencoded"


def auth_headers(
    preset: AuthPreset,
    *,
    token: str | None,
    username: str | None,
    password: str | None,
    api_key: str | None,
    api_key_header: str,
) -> list[tuple[str, str]]:
    """The header the auth preset adds (none for "none")."""
    if preset == "bearer":
        return [("Authorization", f"Bearer {token or ''}")]
    if preset == "basic":
        pair = f"{username or ''}:{password or ''}".encode()
        return [("Authorization", "Basic " + base64.b64encode(pair).decode("ascii"))]
    if preset == "api_key":
        return [(api_key_header, api_key or "")]
    return []


def with_query(url: str, query: Mapping[str, str], renderer: TemplateRenderer) -> str:
    """`url` with each rendered query parameter appended (existing ones are kept)."""
    if not query:
        return url
    pairs = [(name, renderer.text(f"Query {name}", value)) for name, value in query.items()]
    parts = urlsplit(url)
    joined = "&".join(part for part in (parts.query, urlencode(pairs)) if part)
    return urlunsplit(parts._replace(query=joined))


def render_body_as(
    mode: BodyMode,
    body: str | dict[str, Any] | list[Any] | None,
    headers: list[tuple[str, str]],
    renderer: TemplateRenderer,
) -> tuple[str | None, str | None]:
    """Render the body in the chosen mode; return its text and the default Content-Type."""
    if body is None or mode == "auto":
        return render_body(body, headers, renderer)
    if mode == "form":
        return _form_body(body, renderer), FORM_TYPE
    if mode == "raw":
        text = body if isinstance(body, str) else dump_exact_json(body)
        return renderer.text("Body", text), TEXT_TYPE
    if isinstance(body, str):
        return renderer.json_text("Body", body), JSON_TYPE
    return dump_exact_json(renderer.tree("Body", body)), JSON_TYPE


def _form_body(body: str | dict[str, Any] | list[Any], renderer: TemplateRenderer) -> str:
    if isinstance(body, str):
        return renderer.text("Body", body)
    if not isinstance(body, dict):
        raise FieldProblem("Body: a form body must be a set of field names and values")
    fields = renderer.tree("Body", body)
    return urlencode([(str(name), as_text(value)) for name, value in fields.items()])
