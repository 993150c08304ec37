"""Picking one value out of nested data by a path like `data.items[0].id`. Pure.

The path reads like a template expression without the braces: dots between keys,
`[0]` for list items (negative counts from the end) and `["a key"]` for keys with
dots, spaces or other characters. A leading `$.` is accepted and ignored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

_TOKEN = re.compile(
    r"""\s*(?:
        \.?(?P<name>[^.\[\]\s"']+)
      | \[\s*(?P<index>-?\d+)\s*\]
      | \[\s*(?P<quoted>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')\s*\]
    )""",
    re.VERBOSE,
)
MAX_PATH_PARTS = 64


class PathProblem(ValueError):
    """A path that is malformed or leads nowhere; `.message` is plain English."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_path(path: str) -> list[str | int]:
    """Split a path into keys (text) and list positions (numbers)."""
    text = path.strip().removeprefix("$").removeprefix(".")
    parts: list[str | int] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise PathProblem(f"The path {path!r} cannot be read near {text[position:][:20]!r}.")
        parts.append(_part(match))
        position = match.end()
        if len(parts) > MAX_PATH_PARTS:
            raise PathProblem(f"The path has more than {MAX_PATH_PARTS} parts.")
    if not parts:
        raise PathProblem("The path is empty: name at least one key, like data.id.")
    return parts


def _part(match: re.Match[str]) -> str | int:
    if match["index"] is not None:
        return int(match["index"])
    if match["quoted"] is not None:
        quoted = match["quoted"]
        inner = quoted[1:-1].replace("\\'", "'") if quoted.startswith("'") else quoted
        return str(json.loads(inner if quoted.startswith('"') else json.dumps(inner)))
    return match["name"]


def pick_path(value: Any, path: str) -> Any:
    """The value at `path` inside `value` (raises PathProblem naming what exists instead)."""
    current, walked = value, "the value"
    for part in parse_path(path):
        if isinstance(current, Mapping) and str(part) in current:
            current = current[str(part)]
        elif (
            isinstance(current, list)
            and isinstance(part, int)
            and -len(current) <= part < len(current)
        ):
            current = current[part]
        else:
            raise PathProblem(f"{walked} has no {part!r}; {_what_exists(current)}.")
        walked = f"{walked}.{part}" if walked != "the value" else str(part)
    return current


def _what_exists(value: Any) -> str:
    if isinstance(value, Mapping):
        keys = ", ".join(str(key) for key in list(value)[:25])
        return f"its keys are: {keys}" if keys else "it is an empty object"
    if isinstance(value, list):
        return f"it is a list with {len(value)} item(s)"
    return f"it is {type(value).__name__ if value is not None else 'empty'}, not an object or list"
