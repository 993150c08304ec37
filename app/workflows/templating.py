"""Rendering user templates against event data: sandboxed, size-capped, plain-English problems.

Templates run in a private `ImmutableSandboxedEnvironment` (never the page environment).
A missing value renders as "" and becomes a warning naming its full path and the keys
that do exist there; with `on_missing="error"` it raises `MissingValueProblem` instead.
Paths are tracked per render (a context variable, so concurrent renders in worker threads
do not mix): every value fetched from the data is remembered with the path it came from.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Literal, NoReturn

from jinja2 import ChainableUndefined, Template, TemplateSyntaxError, Undefined, meta, nodes
from jinja2.environment import TemplateExpression
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from app.workflows.exact_json import InvalidJson, dump_exact_json, load_exact_json
from app.workflows.template_filters import HOOKLINE_FILTERS, check_format_width
from app.workflows.template_syntax import plain_syntax_message

MAX_TEMPLATE_BYTES = 64 * 1024
MAX_OUTPUT_BYTES = 1024 * 1024
_MAX_POWER = 1000
_MAX_LISTED_KEYS = 25
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SINGLE_EXPRESSION = re.compile(r"\s*\{\{-?(?P<expr>.*?)-?\}\}\s*", re.DOTALL)
_JSON_TYPES = (dict, list, str, int, float, Decimal, bool, type(None))
OnMissing = Literal["warn", "error"]


class TemplateProblem(ValueError):
    """A template that cannot be rendered; `.message` is written for non-developers."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TemplateSyntaxProblem(TemplateProblem):
    """The template text itself is malformed (e.g. an unclosed `{{`)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class MissingValueProblem(TemplateProblem):
    """The template asks for a value the data does not have (with `on_missing="error"`)."""

    def __init__(self, message: str, path: str, available: list[str]) -> None:
        super().__init__(message)
        self.path = path
        self.available = available


class TemplateTooLarge(TemplateProblem):
    """The template or its output is over the size cap."""


@dataclass(frozen=True)
class Rendered:
    """A render's result (text for `render_text`) and the warnings it produced."""

    value: Any
    warnings: tuple[str, ...] = ()


@dataclass
class _RenderState:
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


_STATE: ContextVar[_RenderState | None] = ContextVar("hookline_template_render", default=None)


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


class _Missing(ChainableUndefined):
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
        state = _STATE.get()
        roots = state.roots if state else []
        name = self._undefined_name or "value"
        return name, f"available: {_listed(roots)}" if roots else "", roots

    def _report(self) -> None:
        path, note, available = self._describe()
        message = f"{path} is missing; {note}" if note else f"{path} is missing"
        state = _STATE.get()
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


def _missing_value(parent: Any, key: Any) -> _Missing:
    state = _STATE.get()
    parent_path = state.path_of(parent) if state else None
    value = _Missing(obj=parent, name=str(key))
    value._hookline_path = _child_path(parent_path, key)
    where = parent_path or "that value"
    value._hookline_note, value._hookline_available = _what_exists(where, parent)
    return value


def _found(parent: Any, key: Any, value: Any) -> Any:
    state = _STATE.get()
    if state is not None:
        state.remember(value, _child_path(state.path_of(parent), key))
    return value


def _aligned(left: Any, right: Any) -> tuple[Any, Any]:
    """Let a Decimal from the data meet a float literal like `1.5` without a TypeError."""
    if isinstance(left, Decimal) and isinstance(right, float):
        return left, Decimal(str(right))
    if isinstance(left, float) and isinstance(right, Decimal):
        return Decimal(str(left)), right
    return left, right


def _check_binop_size(operator: str, left: Any, right: Any) -> None:
    power = right if isinstance(right, int | Decimal) else 0
    if operator == "**" and not -_MAX_POWER <= power <= _MAX_POWER:
        raise TemplateTooLarge(f"The power {right} is too large (at most {_MAX_POWER})")
    if operator == "%" and isinstance(left, str):
        check_format_width(left)
    if operator == "*":
        for seq, times in ((left, right), (right, left)):
            big = isinstance(seq, str | list | tuple) and isinstance(times, int)
            if big and len(seq) * times > MAX_OUTPUT_BYTES:
                raise TemplateTooLarge("Repeating that text would exceed the 1 MiB limit")


def _text_of(value: Any) -> Any:
    """How a value appears in rendered text (jinja's `finalize`)."""
    if isinstance(value, Undefined):
        return str(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        fits = isinstance(exponent, int) and abs(exponent) <= 100
        return format(value, "f") if fits else str(value)
    if isinstance(value, dict | list | tuple):
        return dump_exact_json(value)
    if callable(value):  # e.g. `body.items` when the data has no "items" key
        raise TemplateProblem(
            "This prints a built-in function, not a value: the data has no key by that name "
            "(names like items, keys or values are functions unless the data has that key)"
        )
    return value


class _UserTemplateEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox with data-first lookups (a key named `items` wins) and path tracking."""

    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, Undefined):
            return obj
        if isinstance(obj, Mapping) and attribute in obj:
            return _found(obj, attribute, obj[attribute])
        value = super().getattr(obj, attribute)
        return _missing_value(obj, attribute) if isinstance(value, Undefined) else value

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(obj, Undefined):
            return obj
        try:
            if isinstance(obj, Mapping) and argument in obj:
                return _found(obj, argument, obj[argument])
            if isinstance(obj, list | tuple) and type(argument) is int:
                return _found(obj, argument, obj[argument])
        except (TypeError, IndexError):
            return _missing_value(obj, argument)
        value = super().getitem(obj, argument)
        return _missing_value(obj, argument) if isinstance(value, Undefined) else value

    def unsafe_undefined(self, obj: Any, attribute: str) -> NoReturn:
        raise SecurityError(
            f"{attribute!r} of a {type(obj).__name__} value is not available in templates"
        )

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        text = getattr(value, "__self__", None)
        if isinstance(text, str):
            check_format_width(text)
        return super().wrap_str_format(value)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _check_binop_size(operator, left, right)
        left, right = _aligned(left, right)
        return super().call_binop(context, operator, left, right)


_ENV = _UserTemplateEnvironment(autoescape=False, finalize=_text_of, undefined=_Missing)
_ENV.filters.update(HOOKLINE_FILTERS)
del _ENV.globals["lipsum"]  # generates text on demand: a CPU and size sink, no use here


def _syntax_problem(exc: TemplateSyntaxError) -> TemplateSyntaxProblem:
    message = plain_syntax_message(
        exc.message or "",
        exc.lineno,
        exc.source or "",
        filters=_ENV.filters,
        tests=_ENV.tests,
    )
    return TemplateSyntaxProblem(message, exc.lineno)


def _check_size(source: str) -> None:
    if len(source.encode("utf-8", "surrogatepass")) > MAX_TEMPLATE_BYTES:
        raise TemplateTooLarge(f"The template is over the {MAX_TEMPLATE_BYTES // 1024} KiB limit")


@lru_cache(maxsize=1024)
def _cached_template(source: str) -> Template:
    return _ENV.from_string(source)


@lru_cache(maxsize=1024)
def _cached_expression(expression: str) -> TemplateExpression:
    return _ENV.compile_expression(expression, undefined_to_none=False)


def _compile(source: str) -> Template:
    _check_size(source)
    try:
        return _cached_template(source)
    except TemplateSyntaxError as exc:
        raise _syntax_problem(exc) from exc
    except RecursionError as exc:  # thousands of nested brackets: refuse, never crash
        raise TemplateSyntaxProblem("This template nests brackets too deeply to read.") from exc


def _template_line(exc: BaseException) -> int | None:
    """The template line of the innermost frame jinja mapped back to the template."""
    line, frame = None, exc.__traceback__
    while frame is not None:
        if frame.tb_frame.f_code.co_filename == "<template>":
            line = frame.tb_lineno
        frame = frame.tb_next
    return line


def _explain(exc: Exception) -> str:
    if isinstance(exc, ZeroDivisionError):
        return "division by zero"
    if isinstance(exc, InvalidOperation):
        return "that calculation is not possible with these numbers"
    if isinstance(exc, SecurityError):
        return f"not allowed: {exc}"
    return str(exc) or type(exc).__name__


@contextmanager
def _rendering(context: Mapping[str, Any], on_missing: OnMissing) -> Iterator[_RenderState]:
    """Install per-render state and turn any failure into a TemplateProblem."""
    state = _RenderState(on_missing=on_missing, roots=[str(key) for key in context])
    for key, value in context.items():
        state.remember(value, str(key))
    token = _STATE.set(state)
    try:
        yield state
    except TemplateProblem:
        raise
    except TemplateSyntaxError as exc:
        raise _syntax_problem(exc) from exc
    except Exception as exc:  # user templates can fail in any way; report, never crash
        line = _template_line(exc)
        prefix = f"Line {line}: " if line else ""
        raise TemplateProblem(prefix + _explain(exc)) from exc
    finally:
        _STATE.reset(token)


def _collect_output(chunks: Iterable[str]) -> str:
    parts, size = [], 0
    for chunk in chunks:
        size += len(chunk.encode("utf-8", "surrogatepass"))
        if size > MAX_OUTPUT_BYTES:
            raise TemplateTooLarge("The rendered text is over the 1 MiB limit")
        parts.append(chunk)
    return "".join(parts)


def check_template(source: str) -> str | None:
    """None if the template compiles in the sandbox, else a plain-English problem."""
    try:
        _compile(source)
    except TemplateProblem as problem:
        return problem.message
    return None


def render_text(
    source: str, context: Mapping[str, Any], *, on_missing: OnMissing = "warn"
) -> Rendered:
    """Render a template to text; missing values become "" plus a warning (or an error)."""
    template = _compile(source)
    with _rendering(context, on_missing) as state:
        text = _collect_output(template.generate(dict(context)))
    return Rendered(text, tuple(dict.fromkeys(state.warnings)))


@lru_cache(maxsize=1024)
def _single_expression(source: str) -> str | None:
    """The expression if `source` is exactly one `{{ expr }}` (whitespace around allowed)."""
    match = _SINGLE_EXPRESSION.fullmatch(source)
    if match is None or len(source) > MAX_TEMPLATE_BYTES:
        return None
    try:
        body = _ENV.parse(source).body
    except TemplateSyntaxError:
        return None
    if len(body) != 1 or not isinstance(body[0], nodes.Output):
        return None
    parts = [
        node
        for node in body[0].nodes
        if not (isinstance(node, nodes.TemplateData) and not node.data.strip())
    ]
    single = len(parts) == 1 and not isinstance(parts[0], nodes.TemplateData)
    return match["expr"] if single else None


def _render_native(
    expression: str, source: str, context: Mapping[str, Any], on_missing: OnMissing
) -> Rendered:
    try:
        evaluate = _cached_expression(expression)
    except TemplateSyntaxError:
        return render_text(source, context, on_missing=on_missing)
    with _rendering(context, on_missing) as state:
        value = evaluate(dict(context))
        if isinstance(value, Undefined):
            str(value)  # records (or raises) the missing path
            value = None
    if isinstance(value, dict | list | tuple):
        value = copy.deepcopy(list(value) if isinstance(value, tuple) else value)
    elif isinstance(value, str):
        value = str(value)  # a Markup result becomes plain text
    elif not isinstance(value, _JSON_TYPES):
        return render_text(source, context, on_missing=on_missing)
    return Rendered(value, tuple(dict.fromkeys(state.warnings)))


def _render_node(
    node: Any, context: Mapping[str, Any], on_missing: OnMissing, warnings: list[str]
) -> Any:
    if isinstance(node, str):
        expression = _single_expression(node)
        rendered = (
            _render_native(expression, node, context, on_missing)
            if expression
            else render_text(node, context, on_missing=on_missing)
        )
        warnings.extend(rendered.warnings)
        return rendered.value
    if isinstance(node, dict):
        result = {}
        for key, item in node.items():
            rendered_key = render_text(str(key), context, on_missing=on_missing)
            warnings.extend(rendered_key.warnings)
            result[rendered_key.value] = _render_node(item, context, on_missing, warnings)
        return result
    if isinstance(node, list | tuple):
        return [_render_node(item, context, on_missing, warnings) for item in node]
    return node


def render_value(
    template: Any, context: Mapping[str, Any], *, on_missing: OnMissing = "warn"
) -> Rendered:
    """Render every string in a JSON-like structure; a lone `{{ expr }}` keeps its native type."""
    warnings: list[str] = []
    value = _render_node(template, context, on_missing, warnings)
    return Rendered(value, tuple(dict.fromkeys(warnings)))


def render_json_body(
    source: str, context: Mapping[str, Any], *, on_missing: OnMissing = "warn"
) -> Rendered:
    """The JSON text to send: structure-aware when the template is JSON, text otherwise."""
    _check_size(source)
    if not any(marker in source for marker in ("{{", "{%", "{#")):
        return Rendered(source)  # nothing to fill in: send exactly what the user wrote
    try:
        structure = load_exact_json(source)
    except InvalidJson:
        rendered = render_text(source, context, on_missing=on_missing)
        if not rendered.value.strip():
            return rendered
        try:
            load_exact_json(rendered.value)
        except InvalidJson as exc:
            note = (
                f"The body is not valid JSON after filling in the values ({exc.message}); "
                "text inside {{ }} is inserted as-is: use {{ value | tojson }} to quote it"
            )
            return Rendered(rendered.value, (*rendered.warnings, note))
        return rendered
    rendered = render_value(structure, context, on_missing=on_missing)
    try:
        text = dump_exact_json(rendered.value)
    except (TypeError, ValueError) as exc:
        raise TemplateProblem(f"The body could not be written as JSON: {exc}") from exc
    _collect_output([text])
    return Rendered(text, rendered.warnings)


def template_paths(source: str) -> list[str]:
    """The data roots a template reads (e.g. ['trigger', 'steps']), in order of first use."""
    try:
        tree = _ENV.parse(source)
    except TemplateSyntaxError:
        return []
    undeclared = meta.find_undeclared_variables(tree) - set(_ENV.globals)
    names = (node.name for node in tree.find_all(nodes.Name) if node.name in undeclared)
    return list(dict.fromkeys(names))


def unknown_roots(source: str, allowed: Iterable[str]) -> list[str]:
    """Roots the template reads that are not among `allowed` (e.g. a typo like `trigerr`)."""
    known = set(allowed)
    return [root for root in template_paths(source) if root not in known]
