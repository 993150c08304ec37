"""User templates: values from real payloads, missing-value warnings, sandbox, exact numbers."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest

from app.workflows.exact_json import load_exact_json
from app.workflows.templating import (
    MissingValueProblem,
    TemplateProblem,
    TemplateSyntaxProblem,
    TemplateTooLarge,
    check_template,
    render_json_body,
    render_text,
    render_value,
    template_paths,
    unknown_roots,
)
from tests.fixtures import FIXTURES

PUSH = load_exact_json((FIXTURES / "github" / "push.payload.json").read_bytes())
STRIPE = load_exact_json((FIXTURES / "stripe" / "payment_intent.succeeded.json").read_bytes())

CONTEXT: dict[str, Any] = {
    "trigger": {
        "method": "POST",
        "headers": {"x-github-event": "push", "content-type": "application/json"},
        "query": {"page": "2"},
        "body": {
            "repository": {"id": 1, "name": "hello", "full_name": "octo/hello"},
            "amount": Decimal("10.0"),
            "big": 7615917337495251231,
            "tiny": Decimal("0.1"),
            "first name": "Ada",
            "a.b": "dotted",
            "prénom": "Zoé",
            "items": ["apple", "pear"],
            "keys": "my keys",
            "values": {"v": 1},
            "empty": [],
            "nothing": None,
            "flag": True,
            "quote": 'He said "hi"\nthen left\\',
            "created": 1714564800,
        },
    },
    "steps": [
        {"response": {"status": 200, "headers": {}, "body": {"id": 42, "tags": ["a", "b"]}}},
        {"response": {"status": 201, "headers": {}, "body": {"id": 43}}},
    ],
}
BODY_KEYS = ", ".join(CONTEXT["trigger"]["body"])


def _text(source: str, context: dict[str, Any] = CONTEXT) -> str:
    rendered = render_text(source, context)
    assert rendered.warnings == (), rendered.warnings
    return str(rendered.value)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ trigger.body.repository.full_name }}", "Codertocat/Hello-World"),
        ("{{ trigger.body.pusher.name }}", "Codertocat"),
        (
            "https://x/{{ trigger.body.repository.full_name }}/{{ trigger.body.ref }}",
            "https://x/Codertocat/Hello-World/refs/tags/simple-tag",
        ),
        ("{{ trigger.body.repository.id }}", "186853002"),
    ],
)
def test_templating_real_github_push_renders_its_values(source: str, expected: str) -> None:
    assert _text(source, {"trigger": {"body": PUSH}}) == expected


def test_templating_real_stripe_amount_renders_and_stays_a_number() -> None:
    context = {"trigger": {"body": STRIPE}}
    assert _text("{{ trigger.body.data.object.amount }}", context) == "1099"
    body = render_json_body('{"cents": "{{ trigger.body.data.object.amount }}"}', context)
    assert body.value == '{"cents": 1099}'


@pytest.mark.parametrize(
    ("source", "warning"),
    [
        (
            "{{ trigger.body.repository.fullname }}",
            "trigger.body.repository.fullname is missing; "
            "keys at trigger.body.repository: id, name, full_name",
        ),
        (
            "{{ trigger.body.nope.deeper.still }}",
            f"trigger.body.nope is missing; keys at trigger.body: {BODY_KEYS}",
        ),
        (
            "{{ trigger.bodyy }}",
            "trigger.bodyy is missing; keys at trigger: method, headers, query, body",
        ),
        ("{{ trigerr.body }}", "trigerr is missing; available: trigger, steps"),
        (
            "{{ trigger.body.nothing.id }}",
            "trigger.body.nothing.id is missing; trigger.body.nothing is null (empty)",
        ),
        (
            "{{ trigger.body.keys.x }}",
            "trigger.body.keys.x is missing; trigger.body.keys is a text value, "
            "not an object or a list",
        ),
        ("{{ steps[5].response.body.id }}", "steps[5] is missing; steps is a list with items 0..1"),
        (
            "{{ trigger.body.empty[0] }}",
            "trigger.body.empty[0] is missing; trigger.body.empty is a list and the list is empty",
        ),
        (
            "{{ steps[0].response.body.tags[2] }}",
            "steps[0].response.body.tags[2] is missing; "
            "steps[0].response.body.tags is a list with items 0..1",
        ),
        (
            "{{ trigger.body['last name'] }}",
            f"trigger.body['last name'] is missing; keys at trigger.body: {BODY_KEYS}",
        ),
        (
            "{{ trigger.body.x | upper }}",
            f"trigger.body.x is missing; keys at trigger.body: {BODY_KEYS}",
        ),
    ],
)
def test_templating_missing_value_renders_empty_and_names_path(source: str, warning: str) -> None:
    rendered = render_text(f"[{source}]", CONTEXT)
    assert rendered.value == "[]"
    assert rendered.warnings == (warning,)


def test_templating_missing_value_in_a_loop_names_the_key_and_its_siblings() -> None:
    rendered = render_text("{% for s in steps %}{{ s.responze }}{% endfor %}", CONTEXT)
    assert rendered.warnings == ("responze is missing; keys at that value: response",)


def test_templating_same_missing_value_warns_once() -> None:
    rendered = render_text("{{ trigger.x }}{{ trigger.x }}", CONTEXT)
    assert len(rendered.warnings) == 1


def test_templating_many_keys_are_listed_with_a_count_of_the_rest() -> None:
    rendered = render_text("{{ trigger.body.repository.fullname }}", {"trigger": {"body": PUSH}})
    assert rendered.warnings[0].endswith("and 55 more")
    assert "full_name" in rendered.warnings[0]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ trigger.headers['x-github-event'] }}", "push"),
        ("{{ trigger.body['first name'] }}", "Ada"),
        ("{{ trigger.body['a.b'] }}", "dotted"),
        ("{{ trigger.body['prénom'] }}", "Zoé"),
        ('{{ trigger.body["prénom"] | upper }}', "ZOÉ"),
        ("{{ steps[0].response.body.id }}", "42"),
        ("{{ steps.1.response.status }}", "201"),
        ("{{ steps[-1].response.body.id }}", "43"),
        ("{{ trigger.body.items }}", '["apple", "pear"]'),
        ("{{ trigger.body.items[1] }}", "pear"),
        ("{{ trigger.body.keys }}", "my keys"),
        ("{{ trigger.body['values'].v }}", "1"),
        ("{{ trigger.body.values.v }}", "1"),
        ("{% for k, v in steps[1].response.body.items() %}{{ k }}={{ v }}{% endfor %}", "id=43"),
    ],
)
def test_templating_lookups_find_data(source: str, expected: str) -> None:
    assert _text(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ trigger.body.amount }}", "10.0"),
        ("{{ trigger.body.big }}", "7615917337495251231"),
        ("{{ trigger.body.tiny + trigger.body.tiny + trigger.body.tiny }}", "0.3"),
        ("{{ trigger.body.amount * 1.5 }}", "15.00"),
        ("{{ trigger.body.amount | tojson }}", "10.0"),
        ("{{ trigger.body.nothing }}", ""),
        ("{{ trigger.body.flag }}", "true"),
        ("{{ steps[0].response.body }}", '{"id": 42, "tags": ["a", "b"]}'),
        ("{{ trigger.body.quote | tojson }}", '"He said \\"hi\\"\\nthen left\\\\"'),
        ("{{ {'a': trigger.body.amount, 'é': '<b>'} | tojson }}", '{"a": 10.0, "é": "<b>"}'),
    ],
)
def test_templating_values_render_exactly(source: str, expected: str) -> None:
    assert _text(source) == expected


@pytest.mark.parametrize(
    "source",
    [
        "{{ trigger.body.x | default('n/a') }}",
        "{{ trigger.body.x.y.z | d('n/a') }}",
        "{{ nope | default('n/a') }}",
    ],
)
def test_templating_default_filter_fills_in_without_warning(source: str) -> None:
    assert render_text(source, CONTEXT, on_missing="error").value == "n/a"


def test_templating_on_missing_error_raises_with_path_and_keys() -> None:
    with pytest.raises(MissingValueProblem) as caught:
        render_text("{{ trigger.body.repository.fullname }}", CONTEXT, on_missing="error")
    problem = caught.value
    assert problem.path == "trigger.body.repository.fullname"
    assert problem.available == ["id", "name", "full_name"]
    assert problem.message == (
        "trigger.body.repository.fullname is missing; "
        "keys at trigger.body.repository: id, name, full_name"
    )


def test_templating_missing_value_in_a_calculation_is_a_clear_problem() -> None:
    with pytest.raises(TemplateProblem, match=r"Line 1: trigger\.body\.amt is missing, so it "):
        render_text("{{ trigger.body.amt * 100 }}", CONTEXT)


@pytest.mark.parametrize(
    ("source", "message", "line"),
    [
        ("{{ x }", "This template is not finished: a {{ is not closed with }} (line 1)", 1),
        ("ok\n{{ trigger.body.", "This template is not finished: a {{ is not closed", 2),
        ("a\n{% if x }}", "This template is not finished: a {% is not closed with %} (line 2)", 2),
        ("ok\n{{ x y }}", "Line 2: expected token 'end of print statement', got 'y'", 2),
        ("{% for c in x %}", "This template is not finished: a {% for %} is not closed with", 1),
        ("{% endif %}", "There is a {% endif %} without the block it belongs to (line 1)", 1),
        ("{{ x | uppr }}", "No filter named 'uppr' (line 1). Did you mean upper? Filters you", 1),
        ("{{ x is od }}", "No test named 'od' (line 1). Did you mean odd? Tests you can", 1),
        ("{{ }}", "A value is missing (line 1): put one in, like {{ trigger.body.name }}", 1),
        ("{{ x } }}", "A } is out of place (line 1)", 1),
    ],
)
def test_templating_syntax_errors_name_the_line(source: str, message: str, line: int) -> None:
    assert (check_template(source) or "").startswith(message)
    with pytest.raises(TemplateSyntaxProblem) as caught:
        render_text(source, CONTEXT)
    assert caught.value.line == line
    assert caught.value.message.startswith(message)


def test_templating_check_template_accepts_valid_templates() -> None:
    assert check_template("Hi {{ trigger.body.x | default('there') | title }}!") is None


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ ''.__class__.__mro__ }}", "Line 1: not allowed: '__class__'"),
        ("{{ cycler.__init__.__globals__ }}", "Line 1: not allowed: '__init__'"),
        ("\n{{ trigger.body.__class__ }}", "Line 2: not allowed: '__class__'"),
        ("{{ trigger.body.items.append('x') }}", "Line 1: not allowed: 'append'"),
        ("{{ 1 / 0 }}", "Line 1: division by zero"),
        ("{{ steps[0].response.items }}", "This prints a built-in function, not a value"),
        ("{{ 'abc' | date }}", "Line 1: date: could not read 'abc' as a date"),
        ("{{ 0 | date(tz='Mars/Olympus') }}", "Line 1: date: unknown time zone 'Mars/Olympus'"),
        ("{{ 'not json' | fromjson }}", "Line 1: fromjson: Not valid JSON"),
    ],
)
def test_templating_failures_become_template_problems(source: str, message: str) -> None:
    with pytest.raises(TemplateProblem) as caught:
        render_text(source, CONTEXT)
    assert caught.value.message.startswith(message)


@pytest.mark.parametrize(
    "source",
    [
        "{% for i in range(100000) %}{{ 'x' * 20 }}{% endfor %}",
        "{{ 'x' * 2000000 }}",
        "{{ 2 ** 100000 }}",
        "{{ 'x' | center(1000000000) }}",
        "{{ 'x' | indent(1000000000, first=true) }}",
        "{{ '%0999999999d' | format(1) }}",
        "{{ '%.999999999f' % 1.5 }}",
        "{{ '{:>999999999}'.format(1) }}",
        "{{ lipsum(1000000) }}",
    ],
)
def test_templating_output_is_size_capped(source: str) -> None:
    with pytest.raises(TemplateProblem):
        render_text(source, CONTEXT)


def test_templating_oversized_template_is_refused() -> None:
    source = "x" * (64 * 1024 + 1)
    assert "64 KiB" in (check_template(source) or "")
    with pytest.raises(TemplateTooLarge):
        render_text(source, CONTEXT)
    with pytest.raises(TemplateTooLarge):
        render_text("{% for i in range(100000) %}{{ 'x' * 20 }}{% endfor %}", CONTEXT)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ 1714564800 | date }}", "2024-05-01"),
        ("{{ trigger.body.created | date('%H:%M', tz='Europe/Paris') }}", "14:00"),
        ("{{ 1714564800000 | date('%Y-%m-%d %H:%M') }}", "2024-05-01 12:00"),
        ("{{ '2024-05-01T23:30:00Z' | date('%d/%m %H:%M', tz='Asia/Tokyo') }}", "02/05 08:30"),
        ("{{ '{\"a\": 1.50}' | fromjson | tojson }}", '{"a": 1.50}'),
        ("{{ ('{\"a\": [1, 2]}' | fromjson).a[1] }}", "2"),
        ("{{ 'a b&c' | urlencode }}", "a%20b%26c"),
        ("{{ '  Hello World ' | trim | lower | replace('world', 'you') }}", "hello you"),
        ("{{ 'hello world' | title }}", "Hello World"),
        (
            "{{ '%05.1f|%s' | format(2.25, 'a') }} {{ '{:>4}'.format(7) }} {{ '%03d' % 7 }}",
            "002.2|a    7 007",
        ),
        ("{{ 'a\nb' | indent(2) }}", "a\n  b"),
        ("{{ 'abcdefghijklmnopqrstuvwxyz' | truncate(10) }}", "abcdefg..."),
    ],
)
def test_templating_filters_transform_values(source: str, expected: str) -> None:
    assert _text(source) == expected


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ trigger.body.amount }}", Decimal("10.0")),
        ("  {{ trigger.body.big }}\n", 7615917337495251231),
        ("{{ steps[0].response.body }}", {"id": 42, "tags": ["a", "b"]}),
        ("{{ trigger.body.flag }}", True),
        ("{{ trigger.body.nothing }}", None),
        ("{{ trigger.body.x | default(0) }}", 0),
        ("id={{ steps[0].response.body.id }}", "id=42"),
        ("{{ steps[0].response.body.id }}{{ steps[1].response.body.id }}", "4243"),
        ("{{ '}}' }}", "}}"),
        (
            {
                "n": "{{ trigger.body.amount }}",
                "{{ trigger.method }}": ["{{ trigger.body.flag }}", 3],
            },
            {"n": Decimal("10.0"), "POST": [True, 3]},
        ),
    ],
)
def test_templating_render_value_keeps_native_types(template: Any, expected: Any) -> None:
    rendered = render_value(template, CONTEXT)
    assert rendered.value == expected
    assert type(rendered.value) is type(expected)
    assert rendered.warnings == ()


def test_templating_render_value_missing_expression_becomes_none_with_warning() -> None:
    rendered = render_value(
        {"a": "{{ trigger.body.gone }}", "b": "x{{ trigger.body.gone }}"}, CONTEXT
    )
    assert rendered.value == {"a": None, "b": "x"}
    gone = f"trigger.body.gone is missing; keys at trigger.body: {BODY_KEYS}"
    assert rendered.warnings == (gone,)
    with pytest.raises(MissingValueProblem):
        render_value(["{{ trigger.body.gone }}"], CONTEXT, on_missing="error")


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            '{"repo": "{{ trigger.body.repository.name }}", "amount": "{{ trigger.body.amount }}"}',
            '{"repo": "hello", "amount": 10.0}',
        ),
        ('{"say": "{{ trigger.body.quote }}"}', '{"say": "He said \\"hi\\"\\nthen left\\\\"}'),
        (
            '{"id": "{{ trigger.body.big }}", "label": "#{{ trigger.body.big }}"}',
            '{"id": 7615917337495251231, "label": "#7615917337495251231"}',
        ),
        ('{"price": 1.50, "n": "{{ trigger.body.tiny }}"}', '{"price": 1.50, "n": 0.1}'),
        (
            '{"repo": "{{ trigger.body.repository.full_name }}", "amount": {{ trigger.body.amount }}}',
            '{"repo": "octo/hello", "amount": 10.0}',
        ),
        (
            '{"say": {{ trigger.body.quote | tojson }}, "all": {{ steps[0].response.body }}}',
            '{"say": "He said \\"hi\\"\\nthen left\\\\", "all": {"id": 42, "tags": ["a", "b"]}}',
        ),
        ('{\n  "untouched":   1.0\n}', '{\n  "untouched":   1.0\n}'),
    ],
)
def test_templating_json_body_is_valid_json_with_exact_values(source: str, expected: str) -> None:
    rendered = render_json_body(source, CONTEXT)
    assert rendered.value == expected
    assert rendered.warnings == ()
    load_exact_json(rendered.value)


def test_templating_json_body_that_breaks_json_warns() -> None:
    rendered = render_json_body('{"n": {{ trigger.body.nothing }}}', CONTEXT)
    assert rendered.value == '{"n": }'
    assert rendered.warnings[0].startswith("The body is not valid JSON after filling in the values")


def test_templating_event_data_is_never_rendered_as_a_template() -> None:
    context = {"trigger": {"body": {"evil": "{{ 7 * 7 }}"}}}
    assert _text("{{ trigger.body.evil }}", context) == "{{ 7 * 7 }}"
    assert render_json_body('{"a": "{{ trigger.body.evil }}"}', context).value == (
        '{"a": "{{ 7 * 7 }}"}'
    )


def test_templating_concurrent_renders_keep_their_own_warnings() -> None:
    def render(index: int) -> tuple[str, ...]:
        context = {"trigger": {"body": {f"k{index}": index}}}
        return render_text(
            f"{{{{ trigger.body.k{index} }}}}{{{{ trigger.body.gone }}}}", context
        ).warnings

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(render, range(200)))
    for index, warnings in enumerate(results):
        assert warnings == (f"trigger.body.gone is missing; keys at trigger.body: k{index}",)


@pytest.mark.parametrize(
    ("source", "roots", "unknown"),
    [
        ("{{ trigger.body.x }} {{ steps[0].response }}", ["trigger", "steps"], []),
        (
            "{{ trigerr.body }}{% for s in steps %}{{ s.id }}{{ loop.index }}{% endfor %}",
            ["trigerr", "steps"],
            ["trigerr"],
        ),
        ("{% set n = 1 %}{{ n }}{{ range(3) | list }}", [], []),
        ("{{ broken", [], []),
    ],
)
def test_templating_paths_list_the_roots_a_template_reads(
    source: str, roots: list[str], unknown: list[str]
) -> None:
    assert template_paths(source) == roots
    assert unknown_roots(source, ["trigger", "steps"]) == unknown


def test_templating_render_value_returns_a_copy_of_the_data() -> None:
    rendered = render_value("{{ steps[0].response.body }}", CONTEXT)
    rendered.value["tags"].append("changed")
    assert CONTEXT["steps"][0]["response"]["body"]["tags"] == ["a", "b"]


@pytest.mark.parametrize(
    "text",
    [
        "application/json",
        "Bearer abc.def",
        "",
        "  spaced  ",
        "line one\nline two",
        "ends with a newline\n",
        "ends with two newlines\n\n",
        "windows\r\nline ends",
        "a lone } brace",
        "{ not a tag }",
        "{{ '{{' }}",
        "100% {% raw %}x{% endraw %}",
        "#} and {# #}",
    ],
)
def test_text_without_tags_renders_exactly_as_the_sandbox_would(text: str) -> None:
    """Plain text skips the sandbox; what comes out must not change because of it."""
    from app.workflows.template_sandbox import SANDBOX

    assert render_text(text, CONTEXT).value == SANDBOX.from_string(text).render()


def test_a_json_body_rendered_twice_gives_each_event_its_own_values() -> None:
    """The parsed body template is shared between renders; no render may leak into it."""
    body = '{"name": "{{ trigger.body.name }}", "tags": ["{{ trigger.body.name }}"], "n": 1.50}'
    first = render_json_body(body, {"trigger": {"body": {"name": "first"}}})
    second = render_json_body(body, {"trigger": {"body": {"name": "second"}}})

    assert first.value == '{"name": "first", "tags": ["first"], "n": 1.50}'
    assert second.value == '{"name": "second", "tags": ["second"], "n": 1.50}'
