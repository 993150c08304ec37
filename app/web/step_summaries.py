"""One-line descriptions of steps for pages that list them (workflow page, run page).

Each step reads as its type in plain words (the editor's label), its name if it has one,
and a short summary that fits the type: "POST api.example.com", "to ops@example.com",
"wait 5 minutes". A paths step lists its paths with their own steps under it.
Only non-secret settings are ever summarised (never a webhook URL or a URL's query).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol
from urllib.parse import urlsplit

from app.web.step_forms.formatter import OPERATIONS
from app.web.step_forms.registry import step_label
from app.workflows.conditions import OPERATOR_LABELS, UNARY_OPERATORS

MAX_SUMMARY_PART = 60
_ONE_EXPRESSION = re.compile(r"^\{\{\s*([^{}]+?)\s*\}\}$")
_OPERATION_LABELS = {name: label for group in OPERATIONS.values() for name, label in group.items()}


class StepLike(Protocol):
    """A stored step or a step definition: what a summary needs."""

    type: str
    name: str | None
    enabled: bool
    config: dict[str, Any]


@dataclass(frozen=True)
class StepRow:
    """One step as a page lists it; `paths` holds a paths step's branches."""

    type_label: str
    name: str
    summary: str
    enabled: bool
    paths: list[PathRow] = field(default_factory=list)


@dataclass(frozen=True)
class PathRow:
    """One path of a paths step: its name and the steps it runs."""

    name: str
    steps: list[StepRow]


def step_rows(steps: Sequence[StepLike]) -> list[StepRow]:
    """The rows for a list of steps (stored `Step`s or definitions), in order."""
    return [_row(step.type, step.name, step.enabled, step.config or {}) for step in steps]


def step_title(step_type: str, name: str | None) -> str:
    """A step's heading: "Tell #sales · Slack message", or just the type label."""
    label = step_label(step_type)
    return f"{name} · {label}" if name else label


def summarize_step(step_type: str, config: Mapping[str, Any]) -> str:
    """What the step does, in a few words ("" when nothing useful can be said)."""
    summarize = _SUMMARIES.get(step_type)
    try:
        return summarize(config) if summarize else ""
    except (AttributeError, TypeError, ValueError, KeyError, IndexError):
        return ""  # an odd stored config must not break the page; the editor explains it


def _row(step_type: str, name: str | None, enabled: bool, config: Mapping[str, Any]) -> StepRow:
    paths = _path_rows(config) if step_type == "paths" else []
    return StepRow(
        step_label(step_type), name or "", summarize_step(step_type, config), enabled, paths
    )


def _nested_rows(raw_steps: Any) -> list[StepRow]:
    rows = []
    for raw in raw_steps or []:
        if isinstance(raw, Mapping):
            config = raw.get("config")
            config = config if isinstance(config, Mapping) else {}
            rows.append(
                _row(str(raw.get("type", "")), raw.get("name"), raw.get("enabled", True), config)
            )
    return rows


def _path_rows(config: Mapping[str, Any]) -> list[PathRow]:
    paths = [
        PathRow(str(branch.get("name") or f"Path {index + 1}"), _nested_rows(branch.get("steps")))
        for index, branch in enumerate(config.get("branches") or [])
        if isinstance(branch, Mapping)
    ]
    fallback = config.get("fallback")
    if isinstance(fallback, Mapping):
        paths.append(
            PathRow(str(fallback.get("name") or "Otherwise"), _nested_rows(fallback.get("steps")))
        )
    return paths


def _short(value: Any) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= MAX_SUMMARY_PART else text[: MAX_SUMMARY_PART - 1] + "…"


def _field_words(template: Any) -> str:
    """`{{ trigger.body.type }}` reads as `trigger.body.type`; other text stays as typed."""
    text = str(template).strip()
    match = _ONE_EXPRESSION.match(text)
    return _short(match[1] if match else text)


def _http(config: Mapping[str, Any]) -> str:
    method = str(config.get("method") or "POST")
    url = str(config.get("url") or "")
    host = "" if "{" in url else (urlsplit(url).hostname or "")
    return f"{method} {host or _short(url)}".strip()


def _email(config: Mapping[str, Any]) -> str:
    to = config.get("to")
    return f"to {_short(to)}" if to else ""


def _condition(raw: Mapping[str, Any]) -> str:
    operator = str(raw.get("operator", ""))
    label = OPERATOR_LABELS.get(operator, operator)
    words = f"{_field_words(raw.get('field', ''))} {label}"
    if operator not in UNARY_OPERATORS:
        words += f" {_short(raw.get('value', ''))!r}"
    return words


def _filter(config: Mapping[str, Any]) -> str:
    conditions = [c for c in config.get("conditions") or [] if isinstance(c, Mapping)]
    if not conditions:
        return ""
    joiner = " or " if config.get("match") == "any" else " and "
    shown = joiner.join(_condition(c) for c in conditions[:2])
    more = len(conditions) - 2
    return f"continue if {shown}" + (f" (+{more} more)" if more > 0 else "")


def _paths(config: Mapping[str, Any]) -> str:
    count = len(config.get("branches") or [])
    words = f"{count} path{'s' if count != 1 else ''}"
    return words + (" and a fallback" if config.get("fallback") else "")


def _amount(value: Any) -> str:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return _short(value)
    return f"{number.normalize():f}"


def _delay(config: Mapping[str, Any]) -> str:
    if config.get("mode") == "until":
        return f"until {_field_words(config.get('until') or '')}"
    amount, unit = _amount(config.get("amount")), str(config.get("unit") or "minutes")
    return f"wait {amount} {unit.removesuffix('s') if amount == '1' else unit}"


def _formatter(config: Mapping[str, Any]) -> str:
    operation = str(config.get("operation") or "")
    return _OPERATION_LABELS.get(operation, operation.replace("_", " "))


_SUMMARIES = {
    "http_request": _http,
    "slack_message": lambda config: "posts to a webhook",
    "discord_message": lambda config: "posts to a webhook",
    "email": _email,
    "filter": _filter,
    "paths": _paths,
    "delay": _delay,
    "formatter": _formatter,
}
