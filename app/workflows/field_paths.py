"""Field paths for the editor's field picker: the `{{ … }}` expression for a place in the
data, and a bounded tree of an event's (or step output's) fields with sample values. Pure.

An expression must read back exactly the value it names when rendered in the template
sandbox, whatever the key: dots, spaces, quotes, dashes, digits first or non-ASCII letters
all become `['…']` subscripts (escaped like a JSON string, which Jinja reads the same way);
plain identifiers use `.name`; list positions use `[0]`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from app.workflows.exact_json import dump_exact_json

PathPart = str | int

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Words Jinja's parser treats specially after a dot or on their own: always subscript them.
_RESERVED = frozenset(
    {"true", "false", "none", "True", "False", "None", "and", "or", "not", "in", "is", "if"}
)
SAMPLE_CHARS = 60
MAX_DEPTH = 12
MAX_KEYS_SHOWN = 100
MAX_LIST_ITEMS_SHOWN = 3
MAX_NODES = 1500


def subscript(part: PathPart) -> str:
    """How one step into the data is written: `.name`, `["odd key"]` or `[3]`."""
    if isinstance(part, int):
        return f"[{part}]"
    if _IDENTIFIER.fullmatch(part) and part not in _RESERVED:
        return f".{part}"
    # A single-quoted literal with JSON's escapes: Jinja decodes them, and the expression
    # can sit inside a JSON string in a body template without breaking the JSON.
    escaped = json.dumps(part, ensure_ascii=False)[1:-1].replace("'", "\\'")
    return f"['{escaped}']"


def expression_for(root: str, parts: Sequence[PathPart] = ()) -> str:
    """The expression reading `parts` below `root` (e.g. `trigger.body["a.b"][0].id`)."""
    return root + "".join(subscript(part) for part in parts)


def template_for(root: str, parts: Sequence[PathPart] = ()) -> str:
    """The template text a user inserts: `{{ expression }}`."""
    return "{{ " + expression_for(root, parts) + " }}"


@dataclass(frozen=True)
class FieldNode:
    """One place in the data: its label, the expression reading it and a short sample.

    `kind` is "object", "list", "text", "number", "yes/no" or "empty"; containers have
    `children` (at most a few list items and MAX_KEYS_SHOWN keys) and count the rest in
    `hidden`.
    """

    label: str
    expression: str
    kind: str
    sample: str = ""
    size: int = 0
    children: tuple[FieldNode, ...] = ()
    hidden: int = 0


@dataclass
class _Budget:
    nodes: int = MAX_NODES
    parts: list[PathPart] = field(default_factory=list)


def _kind(value: Any) -> str:
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, list | tuple):
        return "list"
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "yes/no"
    if isinstance(value, int | float | Decimal):
        return "number"
    return "text"


def sample_of(value: Any, limit: int = SAMPLE_CHARS) -> str:
    """A one-line preview of a value, cut to `limit` characters with an ellipsis."""
    if isinstance(value, str):
        text = value
    elif value is None:
        text = "null"
    else:
        try:
            text = dump_exact_json(value)
        except (TypeError, ValueError):
            text = str(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def field_tree(value: Any, *, root: str, label: str) -> FieldNode:
    """The tree of fields under `value`, read by expressions starting at `root`."""
    return _node(value, root, label, _Budget(), depth=0)


def _node(value: Any, root: str, label: str, budget: _Budget, *, depth: int) -> FieldNode:
    budget.nodes -= 1
    expression = expression_for(root, budget.parts)
    kind = _kind(value)
    if kind not in ("object", "list"):
        return FieldNode(label, expression, kind, sample_of(value))
    items = list(value.items()) if kind == "object" else list(enumerate(value))
    limit = MAX_KEYS_SHOWN if kind == "object" else MAX_LIST_ITEMS_SHOWN
    shown = items[:limit] if depth < MAX_DEPTH else []
    children = []
    for key, child in shown:
        if budget.nodes <= 0:
            break
        budget.parts.append(key if kind == "list" else str(key))
        child_label = f"item {key}" if kind == "list" else str(key)
        children.append(_node(child, root, child_label, budget, depth=depth + 1))
        budget.parts.pop()
    return FieldNode(
        label,
        expression,
        kind,
        sample_of(value) if not items else "",  # an empty {} or [] shows as such
        size=len(items),
        children=tuple(children),
        hidden=len(items) - len(children),
    )
