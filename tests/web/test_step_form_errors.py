"""Problems with any step type are shown next to the input that has them, and said plainly."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

from tests.web.editor_support import Fields, harvest, html, press, signed_in_with_token

SLACK = "https://hooks.slack.com/services/T0/B0/abcdefghijkl"

# type to add, inputs to set, input that must show the problem, its problem key, words in it
CASES = {
    "http_request": ("http_request", {"url": "ftp://files.example.com"}, "url", "http"),
    "slack_message": (
        "slack_message",
        {"webhook_url": SLACK, "text": "hi", "blocks": '[{"type": "section",]'},
        "blocks",
        "not valid JSON",
    ),
    "discord_message": (
        "discord_message",
        {"webhook_url": SLACK, "content": "{{ trigerr.body.name }}"},
        "content",
        '"trigerr"',
    ),
    "email": (
        "email",
        {
            "host": "smtp.example.com",
            "port": "five",
            "from_address": "a@example.com",
            "to": "b@example.com",
            "subject": "s",
            "text_body": "t",
        },
        "port",
        "port number",
    ),
    "filter": (
        "filter",
        {
            "conditions-0-field": "{{ trigger.body.sku }}",
            "conditions-0-operator": "matches_regex",
            "conditions-0-value": "([a-z",
        },
        "conditions-0-value",
        "regular expression",
    ),
    "delay": ("delay", {"mode": "until", "until": "{{ trigger.body.when"}, "until", ""),
    "formatter": ("formatter", {"input": "{{ step[0].value }}"}, "input", '"step"'),
}


def set_inputs(fields: Fields, prefix: str, values: dict[str, str]) -> Fields:
    wanted = {f"{prefix}-{name}": value for name, value in values.items()}
    return [(n, v) for n, v in fields if n not in wanted] + list(wanted.items())


def assert_problem_next_to(page_text: str, input_name: str, words: str) -> None:
    page = html(page_text)
    control = page.find(attrs={"name": input_name})
    assert control is not None, f"no input {input_name}"
    described = str(control.get("aria-describedby", "")).split()
    errors = [page.find(id=ident) for ident in described if ident.endswith("-error")]
    assert errors and errors[0] is not None, f"{input_name} points at no problem"
    error = errors[0]
    assert words in error.text and error.text.strip()
    assert error.find_previous(["input", "textarea", "select"])["name"] == input_name
    assert control.get("aria-invalid") == "true"
    summary = page.select_one(".error-summary a[href='#" + error["id"] + "']")
    assert summary is not None, "the summary links to the problem"


@pytest.fixture
async def editor(client: AsyncTestClient) -> AsyncTestClient:  # type: ignore[type-arg]
    await signed_in_with_token(client, "errors@example.com")
    return client


async def new_editor_with(client: AsyncTestClient, step_type: str) -> Fields:  # type: ignore[type-arg]
    page = await client.get("/workflows/new")
    fields = harvest(html(page.text))
    added = await press(client, "/workflows/new", fields, "remove_step:steps-0")
    added = await press(
        client, "/workflows/new", harvest(html(added.text)), f"add:steps:{step_type}"
    )
    assert added.status_code == 200
    assert html(added.text).select_one(f"fieldset.step-{step_type}") is not None
    return [("name", "Broken")] + [(n, v) for n, v in harvest(html(added.text)) if n != "name"]


@pytest.mark.parametrize("case", sorted(CASES))
async def test_step_problem_is_shown_next_to_its_input(editor: AsyncTestClient, case: str) -> None:  # type: ignore[type-arg]
    step_type, values, field, words = CASES[case]
    fields = set_inputs(await new_editor_with(editor, step_type), "steps-0", values)
    answer = await press(editor, "/workflows/new", fields)
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    assert_problem_next_to(answer.text, f"steps-0-{field}", words)
    assert html((await editor.get("/")).text).select(".workflow-row") == []


async def test_problem_in_a_path_step_is_shown_on_the_nested_card(editor: AsyncTestClient) -> None:  # type: ignore[type-arg]
    fields = await new_editor_with(editor, "paths")
    added = await press(
        editor, "/workflows/new", fields, "add:steps-0-branches-0-steps:slack_message"
    )
    fields = set_inputs(
        [("name", "Paths")] + [(n, v) for n, v in harvest(html(added.text)) if n != "name"],
        "steps-0",
        {
            "branches-0-conditions-0-field": "{{ trigger.body.amount }}",
            "branches-0-conditions-0-operator": "exists",
            "branches-0-steps-0-webhook_url": "not a url",
            "branches-0-steps-0-text": "big one",
        },
    )
    answer = await press(editor, "/workflows/new", fields)
    assert answer.status_code == 400
    assert_problem_next_to(answer.text, "steps-0-branches-0-steps-0-webhook_url", "http")
    assert "not a url" not in answer.text, "a typed secret is not shown back"
