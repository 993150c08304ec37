"""Scrubbing a step's own secrets out of what it recorded (a destination may echo them).

An echo service, a debugging endpoint or an error page can repeat the request it got:
the bearer token, API key, basic-auth header or a chat webhook's secret path would then
sit in the stored response, the run page, the run API, the field picker and later steps.
Before a result is recorded or shown, every known secret value of the step (the opened
values that built the request) and the forms it travels in (base64 basic-auth pair,
URL-quoted, a webhook URL's path and last segment) are replaced by `••••` + last 4.
Values shorter than MIN_SCRUB_LENGTH are left alone: replacing them would mangle
ordinary text.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import quote, urlsplit

from app.integrations.base import ActionResult

MIN_SCRUB_LENGTH = 8
HINT_MIN_LENGTH = 12


def secret_forms(secrets: Iterable[str], config: Mapping[str, Any]) -> list[str]:
    """Every text a secret may be echoed as, longest first (so longer forms win)."""
    forms: set[str] = set()
    for secret in secrets:
        forms |= {secret, quote(secret, safe="")}
        parts = urlsplit(secret)
        if parts.scheme in ("http", "https") and parts.path:
            forms |= {parts.path, parts.path.rstrip("/").rsplit("/", 1)[-1]}
    username, password = config.get("username"), config.get("password")
    if isinstance(password, str) and password:
        pair = f"{username if isinstance(username, str) else ''}:{password}".encode()
        forms.add(base64.b64encode(pair).decode("ascii"))
    return sorted((f for f in forms if len(f) >= MIN_SCRUB_LENGTH), key=len, reverse=True)


def masked(secret: str) -> str:
    return "••••" + secret[-4:] if len(secret) >= HINT_MIN_LENGTH else "••••"


def scrub_text(text: str, forms: list[str]) -> str:
    for form in forms:
        if form in text:
            text = text.replace(form, masked(form))
    return text


def scrub_tree(tree: Any, forms: list[str]) -> Any:
    """A copy of a JSON-like tree with every string (keys too) scrubbed; numbers kept as is."""
    if isinstance(tree, str):
        return scrub_text(tree, forms)
    if isinstance(tree, dict):
        return {scrub_tree(key, forms): scrub_tree(value, forms) for key, value in tree.items()}
    if isinstance(tree, list | tuple):
        return type(tree)(scrub_tree(item, forms) for item in tree)
    return tree


def scrub_result(
    result: ActionResult, *, secrets: Iterable[str], config: Mapping[str, Any]
) -> ActionResult:
    """The result with the step's secrets scrubbed from request, response, output and error."""
    forms = secret_forms(secrets, config)
    if not forms:
        return result
    return replace(
        result,
        request=scrub_tree(result.request, forms),
        response=scrub_tree(result.response, forms),
        output=scrub_tree(result.output, forms),
        error=scrub_text(result.error, forms) if result.error else result.error,
        warnings=tuple(scrub_text(warning, forms) for warning in result.warnings),
    )
