"""Problems named in the editor's words (issue 5): "Step 3 (Filter), condition 1: Compare
with" in the editor's summary, never `steps[2].config.conditions.0.value`."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from litestar.testing import AsyncTestClient

from app.settings import Settings
from app.web.problem_labels import describe_problem_key, types_of_definitions
from app.workflows.definition import StepDefinition
from tests.support.editor_pages import (
    as_form_data,
    editor_fields,
    sign_up,
    stored_workflow,
    with_field,
)

PATHS = {
    "branches": [{"name": "Big", "conditions": [], "steps": [{"type": "slack_message"}]}],
    "fallback": {"steps": [{"type": "email"}]},
}
TYPES = types_of_definitions(
    [
        StepDefinition(type="http_request"),
        StepDefinition(type="discord_message"),
        StepDefinition(type="filter"),
        StepDefinition(type="paths", config=PATHS),
    ]
)


@pytest.mark.parametrize(
    ("key", "words"),
    [
        ("steps[2].config.conditions.0.value", "Step 3 (Filter), condition 1: Compare with"),
        ("steps[1].config.content", "Step 2 (Discord message): Message"),
        ("steps[0].config.headers.Authorization", "Step 1 (HTTP request): Headers (Authorization)"),
        ("steps[0].config", "Step 1 (HTTP request)"),
        ("steps[0].name", "Step 1 (HTTP request): Step name"),
        (
            "steps[3].config.branches.0.steps.0.config.text",
            "Step 4 (Paths), path 1, step 1 (Slack message): Message text",
        ),
        (
            "steps[3].config.branches.0.conditions.1.field",
            "Step 4 (Paths), path 1, condition 2: Value to check",
        ),
        (
            "steps[3].config.fallback.steps.0.config.to",
            "Step 4 (Paths), fallback path, step 1 (E-mail): To",
        ),
    ],
)
def test_problem_keys_read_as_the_editor_labels(key: str, words: str) -> None:
    assert describe_problem_key(key, TYPES) == words


def test_keys_that_name_no_step_are_left_to_the_caller() -> None:
    assert describe_problem_key("name", TYPES) is None
    assert describe_problem_key("trigger.secret", TYPES) is None


async def test_editor_error_summary_names_the_step_type_and_the_input(
    client: AsyncTestClient,
    settings: Settings,  # type: ignore[type-arg]
) -> None:
    owner = await sign_up(client, settings, "labels@example.com")
    condition = {"field": "{{ trigger.body.type }}", "operator": "equals", "value": "paid"}
    steps = [
        StepDefinition(type="http_request", config={"url": "https://api.example.com/"}),
        StepDefinition(type="filter", config={"conditions": [condition]}),
    ]
    workflow_id, _ = await stored_workflow(settings, owner, steps)
    path = f"/workflows/{workflow_id}/edit"
    fields = editor_fields((await client.get(path)).text)
    fields = with_field(fields, "steps-1-conditions-0-value", "{{ trigger.body.x ")
    answer = await client.post(path, data=as_form_data([*fields, ("action", "save")]))
    assert answer.status_code in (200, 400, 422), answer.text
    summary = BeautifulSoup(answer.text, "html.parser").select_one(".error-summary")
    assert summary is not None
    links = [a.get_text() for a in summary.select("li a")]
    assert links == ["Step 2 (Filter), condition 1: Compare with"]
