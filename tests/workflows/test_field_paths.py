"""Field-picker expressions read back exactly the value they name, in the real sandbox."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from app.workflows.exact_json import load_exact_json
from app.workflows.field_paths import (
    MAX_LIST_ITEMS_SHOWN,
    FieldNode,
    expression_for,
    field_tree,
    sample_of,
    template_for,
)
from app.workflows.templating import render_json_body, render_text, render_value
from tests.fixtures import FIXTURES

STRIPE_FILES = sorted((FIXTURES / "stripe").glob("*.json"))

# (key, the expression it must produce below trigger.body)
AWKWARD_KEYS = [
    ("amount", "trigger.body.amount"),
    ("a.b", "trigger.body['a.b']"),
    ("x y", "trigger.body['x y']"),
    ("it's", "trigger.body['it\\'s']"),
    ('say "hi"', "trigger.body['say \\\"hi\\\"']"),
    ("prénom", "trigger.body['prénom']"),
    ("金额", "trigger.body['金额']"),
    ("x-github-event", "trigger.body['x-github-event']"),
    ("123", "trigger.body['123']"),
    ("", "trigger.body['']"),
    ("true", "trigger.body['true']"),
    ("none", "trigger.body['none']"),
    ("items", "trigger.body.items"),
    ("back\\slash", "trigger.body['back\\\\slash']"),
    ("two\nlines", "trigger.body['two\\nlines']"),
    ("a}}b", "trigger.body['a}}b']"),
    ("{{ x }}", "trigger.body['{{ x }}']"),
    ("%}", "trigger.body['%}']"),
]


@pytest.mark.parametrize(("key", "expected"), AWKWARD_KEYS)
def test_expression_for_awkward_key_renders_back_its_value(key: str, expected: str) -> None:
    body = {key: {"inner": [0, {key: f"value of {key}"}]}}
    context = {"trigger": {"body": body}}
    assert expression_for("trigger.body", [key]) == expected
    deep = template_for("trigger.body", [key, "inner", 1, key])
    assert render_value(deep, context).value == f"value of {key}"
    assert render_value(deep, context).warnings == ()
    assert render_text(f"Got: {deep}!", context).value == f"Got: value of {key}!"


@pytest.mark.parametrize(("key", "_expected"), AWKWARD_KEYS)
def test_expression_inside_a_json_body_string_keeps_the_body_valid(
    key: str, _expected: str
) -> None:
    """Users paste expressions into JSON bodies: `{"x": "{{ … }}"}` must still work."""
    if "\\" in key:
        pytest.skip("a backslash inside a JSON string is itself a JSON escape")
    context = {"trigger": {"body": {key: "ok"}}}
    body = '{"x": "' + template_for("trigger.body", [key]) + '"}'
    assert json.loads(render_json_body(body, context).value) == {"x": "ok"}


def _leaves(node: FieldNode) -> Iterator[FieldNode]:
    if not node.children:
        yield node
    for child in node.children:
        yield from _leaves(child)


def _all(node: FieldNode) -> Iterator[FieldNode]:
    yield node
    for child in node.children:
        yield from _all(child)


@pytest.mark.parametrize("path", STRIPE_FILES, ids=lambda path: path.stem)
def test_every_field_of_a_stripe_payload_renders_to_its_value(path: Any) -> None:
    payload = load_exact_json(path.read_bytes())
    tree = field_tree(payload, root="trigger.body", label="Body")
    context = {"trigger": {"body": payload}}
    nodes = list(_all(tree))
    assert len(nodes) > 20
    for node in nodes:
        rendered = render_value("{{ " + node.expression + " }}", context)
        assert rendered.warnings == (), node.expression
        expected = eval_path(payload, node.expression)
        assert rendered.value == expected, node.expression


def eval_path(payload: Any, expression: str) -> Any:
    """Follow an expression with plain Python, independently of the sandbox."""
    value = payload
    for part in _parts(expression.removeprefix("trigger.body")):
        value = value[part]
    return value


def _parts(rest: str) -> Iterator[Any]:
    while rest:
        if rest.startswith("."):
            name = rest[1:].split(".")[0].split("[")[0]
            yield name
            rest = rest[1 + len(name) :]
        else:
            close = rest.index("]")
            inner = rest[1:close]
            yield int(inner) if inner.isdigit() else json.loads('"' + inner[1:-1] + '"')
            rest = rest[close + 1 :]


def test_stripe_amount_is_offered_as_the_expression_the_issue_asks_for() -> None:
    payload = load_exact_json((FIXTURES / "stripe" / "payment_intent.succeeded.json").read_bytes())
    tree = field_tree(payload, root="trigger.body", label="Body")
    amount = next(n for n in _leaves(tree) if n.expression == "trigger.body.data.object.amount")
    assert (amount.label, amount.kind, amount.sample) == ("amount", "number", "1099")


def test_field_tree_shows_a_few_list_items_and_counts_the_rest() -> None:
    tree = field_tree({"lines": [{"sku": i} for i in range(10)]}, root="steps[0]", label="")
    lines = tree.children[0]
    assert (lines.kind, lines.size, lines.hidden) == ("list", 10, 10 - MAX_LIST_ITEMS_SHOWN)
    assert [child.expression for child in lines.children] == [
        "steps[0].lines[0]",
        "steps[0].lines[1]",
        "steps[0].lines[2]",
    ]
    assert lines.children[0].children[0].expression == "steps[0].lines[0].sku"


def test_field_tree_is_bounded_for_huge_payloads() -> None:
    huge = {f"k{i}": {f"j{j}": j for j in range(200)} for i in range(200)}
    tree = field_tree(huge, root="trigger.body", label="Body")
    assert len(list(_all(tree))) <= 1500
    assert 0 < len(tree.children) < 200
    assert tree.hidden == 200 - len(tree.children)


@pytest.mark.parametrize(
    ("value", "sample"),
    [
        ("short", "short"),
        ("x" * 100, "x" * 59 + "…"),
        ("two\n  lines", "two lines"),
        (None, "null"),
        (True, "true"),
        (load_exact_json("10.50"), "10.50"),
        ({"a": 1}, '{"a":1}'),
    ],
)
def test_sample_of_is_one_short_line(value: Any, sample: str) -> None:
    assert sample_of(value).replace(" ", "") == sample.replace(" ", "")
