"""Turning flat form fields into nested data: repeats, `a[b][c]` objects and `items[]` lists.

The rules follow Rack/PHP conventions, which most form senders assume:
- a repeated plain key becomes a list of its values, in order;
- `a[b][c]=1` becomes `{"a": {"b": {"c": "1"}}}`;
- `items[]=1&items[]=2` becomes `{"items": ["1", "2"]}`;
- `rows[][name]=x&rows[][name]=y` starts a new object whenever a key repeats.
When a key cannot be nested (a plain value is already there, malformed brackets,
more than MAX_DEPTH levels) it is kept as a flat key exactly as sent, with a warning,
so no field is ever lost.
"""

from __future__ import annotations

import re
from typing import Any

MAX_DEPTH = 32
_BRACKETED = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])+)$")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")


def split_key(key: str) -> list[str] | None:
    """The path of a bracket key (`a[b][]` -> ["a", "b", ""]), or None if it has no brackets."""
    match = _BRACKETED.match(key)
    if match is None:
        return None
    path = [match.group(1), *_SEGMENT.findall(match.group(2))]
    return path if len(path) <= MAX_DEPTH else None


def nest_fields(pairs: list[tuple[str, Any]]) -> tuple[dict[str, Any], list[str]]:
    """Nest ordered (name, value) pairs; returns the data and plain-English warnings."""
    data: dict[str, Any] = {}
    flat_keys: list[str] = []
    for key, value in pairs:
        path = split_key(key)
        if path is None or not _insert(data, path, value):
            _add_repeatable(data, key, value)
            if path is not None:
                flat_keys.append(key)
    warnings = [
        f"The form field {key!r} clashes with another field of the same name, "
        "so it was kept as a flat key"
        for key in dict.fromkeys(flat_keys)
    ]
    return data, warnings


def _add_repeatable(container: dict[str, Any], key: str, value: Any) -> None:
    """Set a key, turning a repeat into a list of values."""
    if key not in container:
        container[key] = value
    elif isinstance(container[key], list):
        container[key].append(value)
    else:
        container[key] = [container[key], value]


def _insert(data: dict[str, Any], path: list[str], value: Any) -> bool:
    """Place a value at a bracket path; False when existing data blocks the path."""
    node: Any = data
    for index, segment in enumerate(path):
        is_last = index == len(path) - 1
        next_segment = None if is_last else path[index + 1]
        if isinstance(node, list):
            if segment != "":
                return False
            node = _step_into_list(node, next_segment, value)
            if node is None:
                return True
            continue
        if not isinstance(node, dict) or segment == "":
            return False
        if is_last:
            _add_repeatable(node, segment, value)
            return True
        node = node.setdefault(segment, [] if next_segment == "" else {})
    return False


def _step_into_list(items: list[Any], next_segment: str | None, value: Any) -> Any:
    """Handle an `[]` segment: append the value, or pick the object to fill next."""
    if next_segment is None:
        items.append(value)
        return None
    last = items[-1] if items else None
    if isinstance(last, dict) and next_segment not in last:
        return last
    fresh: dict[str, Any] = {}
    items.append(fresh)
    return fresh
