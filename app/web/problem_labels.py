"""Problem keys in the words of the editor's own labels.

Validation names a problem by where it is: `steps[2].config.conditions.0.value`. People
read the editor, so this module says "Step 3 (Filter), condition 1: Compare with" and
"Step 2 (Discord message): Message" instead. The labels below are the ones the step
cards show (templates/steps/*.html); a field without one falls back to its settings title.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from app.integrations.registry import UnknownActionType, get_action
from app.web.step_forms.model import StepForm
from app.web.step_forms.registry import step_label
from app.workflows.definition import StepDefinition

# Where one type's card words an input differently from its settings title.
FIELD_LABELS: dict[str, dict[str, str]] = {
    "http_request": {
        "method": "Method",
        "url": "URL",
        "query": "Query parameters",
        "headers": "Headers",
        "body": "Body",
        "timeout_seconds": "Timeout in seconds",
        "api_key_header": "Header name",
        "strict_templates": "Fail this step when a value it uses is missing",
    },
    "slack_message": {"webhook_url": "Slack webhook URL", "text": "Message text"},
    "discord_message": {"webhook_url": "Discord webhook URL", "content": "Message"},
    "email": {"cc": "Cc"},
    "formatter": {"input": "Value to format", "index": "Item to keep"},
}
CONDITION_LABELS = {
    "field": "Value to check",
    "operator": "Condition",
    "value": "Compare with",
    "ignore_case": "Ignore upper/lower case",
}
BRANCH_LABELS = {"name": "Path name", "match": "Run this path when", "conditions": "Conditions"}
STEP_LABELS = {"name": "Step name", "type": "Step type", "enabled": "Step turned on"}

_TOP_STEP = re.compile(r"^steps\[(\d+)\]")
_NESTED_STEP = re.compile(r"^\.config\.(?:branches\.(\d+)|fallback)\.steps\.(\d+)")
_BRANCH = re.compile(r"^(?:branches\.(\d+)|fallback)(?:\.(.*))?$")
_CONDITION = re.compile(r"^conditions\.(\d+)(?:\.(\w+))?")

StepTypes = Mapping[str, str]


def short_type_label(type_name: str) -> str:
    """ "Filter (only continue if…)" -> "Filter": short enough for "Step 3 (Filter)"."""
    return step_label(type_name).split(" (")[0]


def types_of_forms(steps: Sequence[StepForm], prefix: str = "steps") -> dict[str, str]:
    """Each editor card's type by its problem-key address (`steps[2]`, nested paths too)."""
    found: dict[str, str] = {}
    for index, step in enumerate(steps):
        address = f"{prefix}[{index}]" if prefix == "steps" else f"{prefix}.{index}"
        found[address] = step.type
        for where, branch in _branches(step.branches, step.fallback):
            found |= types_of_forms(branch.steps, f"{address}.config.{where}.steps")
    return found


def types_of_definitions(steps: Sequence[StepDefinition], first: int = 0) -> dict[str, str]:
    """Like `types_of_forms`, for step definitions (a paths step's config holds its steps);
    `first` is the editor position of `steps[0]` when only some steps are given."""
    return _types_of_raw([step.model_dump() for step in steps], "steps", first)


def _types_of_raw(steps: Sequence[Any], prefix: str, first: int = 0) -> dict[str, str]:
    found: dict[str, str] = {}
    for index, raw in enumerate(steps, start=first):
        if not isinstance(raw, Mapping):
            continue
        address = f"{prefix}[{index}]" if prefix == "steps" else f"{prefix}.{index}"
        found[address] = str(raw.get("type", ""))
        config = raw.get("config")
        if not isinstance(config, Mapping):
            continue
        for where, branch in _branches(config.get("branches") or [], config.get("fallback")):
            nested = branch.get("steps") if isinstance(branch, Mapping) else None
            if isinstance(nested, list):
                found |= _types_of_raw(nested, f"{address}.config.{where}.steps")
    return found


def labelled_problems(problems: Mapping[str, str], types: StepTypes) -> list[tuple[str, str]]:
    """Each problem as (where, in words; what is wrong); where is "" if it names no step."""
    return [(describe_problem_key(key, types) or "", text) for key, text in problems.items()]


def describe_problem_key(key: str, types: StepTypes) -> str | None:
    """`steps[2].config.conditions.0.value` -> "Step 3 (Filter), condition 1: Compare with";
    None when `key` does not name a step."""
    top = _TOP_STEP.match(key)
    if top is None:
        return None
    address, rest = top[0], key[top.end() :]
    parts = [_step_words(f"Step {int(top[1]) + 1}", types.get(address))]
    while nested := _NESTED_STEP.match(rest):
        parts.append(f"path {int(nested[1]) + 1}" if nested[1] is not None else "fallback path")
        address, rest = address + nested[0], rest[nested.end() :]
        parts.append(_step_words(f"step {int(nested[2]) + 1}", types.get(address)))
    label = _field_words(rest, types.get(address, ""), parts)
    return ", ".join(parts) + (f": {label}" if label else "")


def _branches(branches: Sequence[Any], fallback: Any) -> list[tuple[str, Any]]:
    pairs = [(f"branches.{index}", branch) for index, branch in enumerate(branches)]
    return pairs + ([("fallback", fallback)] if fallback is not None else [])


def _step_words(number: str, type_name: str | None) -> str:
    return f"{number} ({short_type_label(type_name)})" if type_name else number


def _field_words(rest: str, type_name: str, parts: list[str]) -> str:
    """The label of the input a key's tail names; path/condition numbers go to `parts`."""
    if rest in ("", ".config"):
        return ""
    if rest.startswith(".config."):
        path = rest.removeprefix(".config.")
    elif rest.startswith("."):
        return STEP_LABELS.get(rest[1:], rest[1:].replace("_", " "))
    else:
        return ""
    branch = _BRANCH.match(path)
    if branch is not None:
        parts.append(f"path {int(branch[1]) + 1}" if branch[1] is not None else "fallback path")
        path = branch[2] or ""
        if path in BRANCH_LABELS:
            return BRANCH_LABELS[path]
    condition = _CONDITION.match(path)
    if condition is not None:
        parts.append(f"condition {int(condition[1]) + 1}")
        return CONDITION_LABELS.get(condition[2] or "", "")
    name, _, detail = path.partition(".")
    label = _input_label(type_name, name)
    return f"{label} ({detail})" if detail and label else label


def _input_label(type_name: str, name: str) -> str:
    if not name:
        return ""
    if name in FIELD_LABELS.get(type_name, {}):
        return FIELD_LABELS[type_name][name]
    try:
        fields = get_action(type_name).config_model.model_fields
    except UnknownActionType:
        fields = {}
    title = fields[name].title if name in fields else None
    return title or name.replace("_", " ").capitalize()
