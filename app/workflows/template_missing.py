"""Missing values in user templates: which path was asked for and what exists there instead.

Paths are tracked per render (a context variable, so concurrent renders in worker threads
do not mix): every value fetched from the data is remembered with the path it came from,
so a missing key can be reported as `trigger.body.user.email is missing; keys at
trigger.body.user: id, name`. Rendering a missing value warns, or raises
`MissingValueProblem` with `on_missing="error"`; `default` filters it silently.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Literal

from jinja2 import ChainableUndefined

from app.workflows.template_problems import MissingValueProblem

_MAX_LISTED_KEYS = 25
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
OnMissing = Literal["warn", "error"]


@dataclass
class RenderState:
    """One render's settings, warnings so far, and the path of every value fetched."""

    on_missing: OnMissing
    roots: list[str]
    warnings: list[str] = field(default_factory=list)
    # id -> (value kept alive so the id is not reused, path it was fetched from)
    paths: dict[int, tuple[Any, str]] = field(default_factory=dict)

    def remember(self, value: Any, path: str) -> Any:
        self.paths[id(value)] = (value, path)
        return value

    def path_of(self, value: Any) -> str | None:
        entry = self.paths.get(id(value))
        return entry[1] if entry is not None and entry[0] is value else None


RENDER_STATE: ContextVar[RenderState | None] = ContextVar("hookline_template_render", default=None)


def _child_path(parent: str | None, key: Any) -> str:
    if isinstance(key, str) and _IDENTIFIER.fullmatch(key):
        return f"{parent}.{key}" if parent else key
    return f"{parent or ''}[{key!r}]"


def _listed(keys: list[str]) -> str:
    shown = ", ".join(keys[:_MAX_LISTED_KEYS])
    extra = len(keys) - _MAX_LISTED_KEYS
    return f"{shown} and {extra} more" if extra > 0 else shown


def _what_exists(where: str, container: Any) -> tuple[str, list[str]]:
    """A phrase describing the deepest value that exists, and its keys or indexes."""
    if isinstance(container, Mapping):
        keys = [str(key) for key in container]
        return (
            (f"keys at {where}: {_listed(keys)}", keys)
            if keys
            else (f"{where} is an empty object", [])
        )
    if isinstance(container, list | tuple):
        size = len(container)
        indexes = [str(index) for index in range(size)]
        if size == 0:
            return f"{where} is a list and the list is empty", []
        return f"{where} is a list with items 0..{size - 1}", indexes
    if container is None:
        return f"{where} is null (empty)", []
    kind = "text" if isinstance(container, str) else type(container).__name__
    return f"{where} is a {kind} value, not an object or a list", []


class MissingValue(ChainableUndefined):
    """A missing value that knows its path; rendering it warns (or raises), `default` does not."""

    __slots__ = ("_hookline_available", "_hookline_note", "_hookline_path")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._hookline_path: str | None = None
        self._hookline_note = ""
        self._hookline_available: list[str] = []

    def _describe(self) -> tuple[str, str, list[str]]:
        if self._hookline_path is not None:
            note = self._hookline_note
            return self._hookline_path, note, self._hookline_available
        state = RENDER_STATE.get()
        roots = state.roots if state else []
        name = self._undefined_name or "value"
        return name, f"available: {_listed(roots)}" if roots else "", roots

    def _report(self) -> None:
        path, note, available = self._describe()
        message = f"{path} is missing; {note}" if note else f"{path} is missing"
        state = RENDER_STATE.get()
        if state is None or state.on_missing == "error":
            raise MissingValueProblem(message, path, available)
        state.warnings.append(message)

    @property
    def _undefined_message(self) -> str:
        path, note, _ = self._describe()
        detail = f"; {note}" if note else ""
        return f"{path} is missing, so it cannot be used in a calculation or comparison{detail}"

    def __str__(self) -> str:
        self._report()
        return ""

    def __iter__(self) -> Iterator[Any]:
        self._report()
        return iter(())


def missing_value(parent: Any, key: Any) -> MissingValue:
    state = RENDER_STATE.get()
    parent_path = state.path_of(parent) if state else None
    value = MissingValue(obj=parent, name=str(key))
    value._hookline_path = _child_path(parent_path, key)
    where = parent_path or "that value"
    value._hookline_note, value._hookline_available = _what_exists(where, parent)
    return value


def found(parent: Any, key: Any, value: Any) -> Any:
    state = RENDER_STATE.get()
    if state is not None:
        state.remember(value, _child_path(state.path_of(parent), key))
    return value
