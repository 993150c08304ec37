"""Editor form of the HTTP request step: method, URL, query, headers, body and auth.

Query parameters are typed `name=value` and headers `Name: value`, one per line. A
credential header (Authorization, X-API-Key…) shows `••••` and its last 4 characters,
and the saved value comes back on save unless a new one is typed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from app.integrations.request_rendering import is_json_type
from app.store.sealing import is_secret_key
from app.web.secrets import SecretBox, is_masked, ref_mask, secret_ref
from app.web.step_forms.base import (
    Config,
    Problems,
    StepFormType,
    blank_to_none,
    describe_json_problem,
)
from app.web.step_forms.model import StepForm, plain
from app.workflows.exact_json import dump_exact_json

METHODS = ("POST", "GET", "PUT", "PATCH", "DELETE", "HEAD")
BODY_MODES = {"auto": "Automatic", "json": "JSON", "form": "Form fields", "raw": "Raw text"}
AUTH_PRESETS = {
    "none": "None",
    "bearer": "Bearer token",
    "basic": "Username and password (basic)",
    "api_key": "API key in a header",
}
_CREDENTIALS = {
    "bearer": ("token",),
    "basic": ("username", "password"),
    "api_key": ("api_key", "api_key_header"),
}


def parse_lines(text: str, separator: str, shape: str) -> tuple[dict[str, str], str | None]:
    """`Name<sep>value` lines as a dict, or the first bad line explained."""
    pairs: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        name, found, value = line.partition(separator)
        if not found or not name.strip():
            return pairs, f"Line {number} should look like '{shape}'."
        pairs[name.strip()] = value.strip()
    return pairs, None


def parse_header_lines(text: str) -> tuple[dict[str, str], str | None]:
    return parse_lines(text, ":", "Name: value")


def _body(step: StepForm, headers: dict[str, str]) -> tuple[Any, str | None]:
    text, mode = step.value("body"), step.value("body_mode", "auto")
    if not text.strip():
        return None, None
    if mode == "form":
        return parse_lines(text, "=", "name=value")
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), None)
    looks_json = content_type is None and text.lstrip()[:1] in ("{", "[")
    if mode == "json" or (mode == "auto" and (looks_json or is_json_type(content_type))):
        return text, describe_json_problem(text)
    return text, None


def _to_config(step: StepForm, box: SecretBox) -> tuple[Config, Problems]:
    problems: Problems = {}
    headers, problem = parse_header_lines(step.value("headers"))
    if problem:
        problems["headers"] = problem
    query, problem = parse_lines(step.value("query"), "=", "name=value")
    if problem:
        problems["query"] = problem
    body, problem = _body(step, headers)
    if problem:
        problems["body"] = problem
    auth = step.value("auth", "none")
    config: Config = {
        "method": step.value("method", "POST"),
        "url": step.value("url").strip(),
        "query": query,
        "headers": headers,
        "body_mode": step.value("body_mode", "auto"),
        "body": body,
        "auth": auth,
        "strict_templates": step.checked("strict"),
        "repeat_safe": step.checked("repeat_safe"),
    }
    for name in _CREDENTIALS.get(auth, ()):
        config[name] = step.value(name).strip() or None
    timeout = step.value("timeout_seconds").strip()
    if timeout:
        try:
            config["timeout_seconds"] = float(timeout)
        except ValueError:
            problems["timeout_seconds"] = "Type a number of seconds, such as 30."
    if config.get("api_key_header") is None:
        config.pop("api_key_header", None)
    return config, problems


def _from_config(config: Mapping[str, Any], step: StepForm) -> None:
    lines = []
    for name, value in (config.get("headers") or {}).items():
        if is_secret_key(name) and isinstance(value, str) and value:
            step.keep[f"headers.{name}"] = ref = secret_ref(value)
            value = ref_mask(ref)
        lines.append(f"{name}: {value}")
    step.values["headers"] = "\n".join(lines)
    step.values["query"] = "\n".join(f"{k}={v}" for k, v in (config.get("query") or {}).items())
    body = config.get("body")
    if isinstance(body, dict) and config.get("body_mode") == "form":
        step.values["body"] = "\n".join(f"{k}={plain(v)}" for k, v in body.items())
    elif body is not None and not isinstance(body, str):
        step.values["body"] = dump_exact_json(body, indent=2)
    step.values["strict"] = plain(bool(config.get("strict_templates")))
    step.values["api_key_header"] = str(config.get("api_key_header") or "X-API-Key")


def _protect_headers(step: StepForm, box: SecretBox) -> None:
    lines = []
    for raw in step.value("headers").splitlines():
        name, colon, value = raw.partition(":")
        name, value = name.strip(), value.strip()
        if colon and is_secret_key(name) and value and not is_masked(value):
            step.keep[f"headers.{name}"] = ref = box.pending(value)
            raw = f"{name}: {ref_mask(ref)}"
        lines.append(raw)
    step.values["headers"] = "\n".join(lines)


FORM = StepFormType(
    type_name="http_request",
    template="steps/http_request.html",
    fields=(
        "method",
        "url",
        "query",
        "headers",
        "body_mode",
        "body",
        "auth",
        "token",
        "username",
        "password",
        "api_key",
        "api_key_header",
        "timeout_seconds",
    ),
    checks=("strict", "repeat_safe"),
    secrets=("token", "password", "api_key"),
    templated=("url", "query", "headers", "body"),
    defaults={
        "method": "POST",
        "headers": "Content-Type: application/json",
        "body_mode": "auto",
        "auth": "none",
        "api_key_header": "X-API-Key",
    },
    placed=re.compile(
        r"(method|url|query|headers|body_mode|body|auth|token|username|password|api_key"
        r"|api_key_header|timeout_seconds|repeat_safe|strict_templates)(\..*)?"
    ),
    to_config=_to_config,
    from_config=_from_config,
    protect_extra=_protect_headers,
)
__all__ = ["AUTH_PRESETS", "BODY_MODES", "FORM", "METHODS", "blank_to_none"]
