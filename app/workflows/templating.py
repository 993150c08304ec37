"""Rendering user templates against event data: sandboxed, size-capped, plain-English problems.

Templates run in a private `ImmutableSandboxedEnvironment` (never the page environment).
A missing value renders as "" and becomes a warning naming its full path and the keys
that do exist there; with `on_missing="error"` it raises `MissingValueProblem` instead
(the sandbox: `template_sandbox`; missing-value tracing: `template_missing`; the problem
types: `template_problems`).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from jinja2 import Template, TemplateSyntaxError, Undefined, meta, nodes
from jinja2.environment import TemplateExpression

from app.workflows.exact_json import InvalidJson, dump_exact_json, load_exact_json
from app.workflows.template_missing import (
    RENDER_STATE,
    OnMissing,
    RenderState,
)
from app.workflows.template_problems import (
    MissingValueProblem,
    TemplateProblem,
    TemplateSyntaxProblem,
    TemplateTooLarge,
    explain_failure,
    template_line,
)
from app.workflows.template_sandbox import MAX_OUTPUT_BYTES, SANDBOX
from app.workflows.template_syntax import plain_syntax_message

__all__ = [
    "MAX_OUTPUT_BYTES",
    "MAX_TEMPLATE_BYTES",
    "MissingValueProblem",
    "OnMissing",
    "Rendered",
    "TemplateProblem",
    "TemplateSyntaxProblem",
    "TemplateTooLarge",
    "check_template",
    "render_json_body",
    "render_text",
    "render_value",
    "template_paths",
    "unknown_roots",
]

MAX_TEMPLATE_BYTES = 64 * 1024
_SINGLE_EXPRESSION = re.compile(r"\s*\{\{-?(?P<expr>.*?)-?\}\}\s*", re.DOTALL)
_JSON_TYPES = (dict, list, str, int, float, Decimal, bool, type(None))


@dataclass(frozen=True)
class Rendered:
    """A render's result (text for `render_text`) and the warnings it produced."""

    value: Any
    warnings: tuple[str, ...] = ()


def _syntax_problem(exc: TemplateSyntaxError) -> TemplateSyntaxProblem:
    message = plain_syntax_message(
        exc.message or "",
        exc.lineno,
        exc.source or "",
        filters=SANDBOX.filters,
        tests=SANDBOX.tests,
    )
    return TemplateSyntaxProblem(message, exc.lineno)


def _check_size(source: str) -> None:
    if len(source.encode("utf-8", "surrogatepass")) > MAX_TEMPLATE_BYTES:
        raise TemplateTooLarge(f"The template is over the {MAX_TEMPLATE_BYTES // 1024} KiB limit")


@lru_cache(maxsize=1024)
def _cached_template(source: str) -> Template:
    return SANDBOX.from_string(source)


@lru_cache(maxsize=1024)
def _cached_expression(expression: str) -> TemplateExpression:
    return SANDBOX.compile_expression(expression, undefined_to_none=False)


def _compile(source: str) -> Template:
    _check_size(source)
    try:
        return _cached_template(source)
    except TemplateSyntaxError as exc:
        raise _syntax_problem(exc) from exc
    except RecursionError as exc:  # thousands of nested brackets: refuse, never crash
        raise TemplateSyntaxProblem("This template nests brackets too deeply to read.") from exc


@contextmanager
def _rendering(context: Mapping[str, Any], on_missing: OnMissing) -> Iterator[RenderState]:
    """Install per-render state and turn any failure into a TemplateProblem."""
    state = RenderState(on_missing=on_missing, roots=[str(key) for key in context])
    for key, value in context.items():
        state.remember(value, str(key))
    token = RENDER_STATE.set(state)
    try:
        yield state
    except TemplateProblem:
        raise
    except TemplateSyntaxError as exc:
        raise _syntax_problem(exc) from exc
    except Exception as exc:  # user templates can fail in any way; report, never crash
        line = template_line(exc)
        prefix = f"Line {line}: " if line else ""
        raise TemplateProblem(prefix + explain_failure(exc)) from exc
    finally:
        RENDER_STATE.reset(token)


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


def _is_plain_text(source: str) -> bool:
    """True when jinja would give `source` back unchanged: no "{" can open a tag, no
    newline for it to normalise or strip (it drops one trailing newline)."""
    return "{" not in source and "\r" not in source and not source.endswith("\n")


def render_text(
    source: str, context: Mapping[str, Any], *, on_missing: OnMissing = "warn"
) -> Rendered:
    """Render a template to text; missing values become "" plus a warning (or an error)."""
    if _is_plain_text(source):  # most header values and JSON keys: skip the sandbox
        _check_size(source)
        return Rendered(source)
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
        body = SANDBOX.parse(source).body
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
    structure = _json_template(source)
    if structure is _NOT_JSON:
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


_NOT_JSON = object()


@lru_cache(maxsize=1024)
def _json_template(source: str) -> Any:
    """The parsed JSON of a body template (read once per distinct body), else `_NOT_JSON`.

    Shared between renders: `render_value` builds new containers and never changes it.
    """
    try:
        return load_exact_json(source)
    except InvalidJson:
        return _NOT_JSON


def template_paths(source: str) -> list[str]:
    """The data roots a template reads (e.g. ['trigger', 'steps']), in order of first use."""
    try:
        tree = SANDBOX.parse(source)
    except TemplateSyntaxError:
        return []
    undeclared = meta.find_undeclared_variables(tree) - set(SANDBOX.globals)
    names = (node.name for node in tree.find_all(nodes.Name) if node.name in undeclared)
    return list(dict.fromkeys(names))


def unknown_roots(source: str, allowed: Iterable[str]) -> list[str]:
    """Roots the template reads that are not among `allowed` (e.g. a typo like `trigerr`)."""
    known = set(allowed)
    return [root for root in template_paths(source) if root not in known]
