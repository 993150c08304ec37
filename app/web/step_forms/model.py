"""What the step editor holds for one step, exactly as typed (strings), and its pieces.

A `StepForm` is type-agnostic: simple inputs live in `values` (checkboxes as "on"/""),
filters and paths add condition rows and branches, and `keep` maps each saved secret's
config path (`webhook_url`, `headers.Authorization`) to a reference the server resolves
on save (see app/web/secrets.py), so secrets never travel back to the browser.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# A submitted form (litestar's FormMultiDict) or any mapping of input names to values.
FormData = Mapping[str, Any]


@dataclass
class ConditionForm:
    """One "value / operator / compare with" row of a filter or a path."""

    field: str = ""
    operator: str = "equals"
    value: str = ""
    ignore_case: bool = False


@dataclass
class BranchForm:
    """One path of a paths step (or its fallback, which has no conditions)."""

    name: str = ""
    match: str = "all"
    conditions: list[ConditionForm] = field(default_factory=list)
    steps: list[StepForm] = field(default_factory=list)


@dataclass
class StepForm:
    """One step card of the editor."""

    type: str = "http_request"
    name: str = ""
    enabled: bool = True
    values: dict[str, str] = field(default_factory=dict)
    conditions: list[ConditionForm] = field(default_factory=list)
    branches: list[BranchForm] = field(default_factory=list)
    fallback: BranchForm | None = None
    keep: dict[str, str] = field(default_factory=dict)
    # Set only for display: problems keyed by config path ("url", "conditions.0.value",
    # "" for the whole config, "step.name" for the step itself), and the full key prefix.
    errors: dict[str, str] = field(default_factory=dict)
    error_prefix: str = ""

    def value(self, name: str, default: str = "") -> str:
        """The input's text as typed; `default` when it is empty or missing."""
        return self.values.get(name) or default

    def checked(self, name: str) -> bool:
        return bool(self.values.get(name))

    def error_id(self, key: str) -> str:
        """The id of the element showing the problem with `key` (matches the summary links)."""
        return error_element_id(self.error_prefix + config_key(key))

    def unplaced_errors(self, placed: Any) -> list[tuple[str, str]]:
        """Problems no input of this card shows (`placed` tells which keys have one)."""
        return [(key, text) for key, text in self.errors.items() if not placed(key)]


def config_key(key: str) -> str:
    """A card's local problem key as the full key's tail: "" -> config, step.name -> name."""
    if key.startswith("step."):
        return key.removeprefix("step.")
    return "config" if key == "" else f"config.{key}"


def error_element_id(key: str) -> str:
    """`steps[0].config.url` -> `steps-0-config-url-error` (ids for error messages)."""
    return key.replace("[", "-").replace("]", "").replace(".", "-") + "-error"


def is_checked(form: FormData, name: str) -> bool:
    return name in form and str(form.get(name, "")) not in ("", "off")


def text_of(form: FormData, name: str, default: str = "") -> str:
    return str(form.get(name, default))


def plain(value: Any) -> str:
    """A config value as an input shows it ('' for None)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
