"""A template mistake in any input of any step type is a problem shown next to that input,
never a crash: unknown filters and tests, unfinished `{{`, nesting too deep, at any depth.
"""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

from app.settings import AppSettings, Settings
from app.web.editor_page import checked_definition, reshown
from app.web.forms import WorkflowForm
from app.web.secrets import EditorSecrets
from app.web.step_forms.model import BranchForm, ConditionForm, StepForm
from app.web.step_forms.registry import find_form, step_choices
from app.web.trigger_form import TEXT_FIELDS, TriggerForm
from tests.web.editor_support import html, press, signed_in_with_token
from tests.web.test_step_form_errors import assert_problem_next_to, new_editor_with, set_inputs

BROKEN_TEMPLATES = (
    "{{ trigger.body.x | uppr }}",
    "{{ trigger.body.x is fooo }}",
    "{% if trigger.body.x is fooo %}a{% endif %}",
    "Hello {{ trigger.body.",
    "{% for x in trigger.body.items %}",
    "{% if x }}",
    "{{ }}",
    "{% endif %}",
    "{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}",
    '{"a": {{ trigger.body.x | uppr }}}',
    "{{ trigger.body['a'] | date(",
    "{# note",
    "}} {{",
)
# choices that make every templated input of a type count (hidden ones are not checked)
USING_ALL = {"delay": {"mode": "until"}, "formatter": {"operation": "number_math"}}
SECRET_BOX = EditorSecrets(
    Settings(app=AppSettings(env="test", secret_key="editor-test-" + "k" * 32)),
    user_id=1,
    stored=[],
)


def _cards_with(type_name: str, field: str, text: str) -> list[StepForm]:
    kind = find_form(type_name)
    assert kind is not None
    step = kind.new_step()
    step.values |= USING_ALL.get(type_name, {})
    step.values[field] = text
    step.conditions = [ConditionForm(field=text, operator="equals", value=text)]
    return [step]


def _shapes(type_name: str, field: str, text: str) -> list[WorkflowForm]:
    """The broken step on its own, and inside a path of a paths step."""
    alone = WorkflowForm(name="Broken", steps=_cards_with(type_name, field, text))
    condition = ConditionForm(field=text, operator="equals", value=text)
    branch = BranchForm(name="A", conditions=[condition], steps=_cards_with(type_name, field, text))
    paths = StepForm(type="paths", branches=[branch])
    return [alone, WorkflowForm(name="Broken", steps=[paths])]


@pytest.mark.parametrize("type_name", [c.type_name for c in step_choices(nested=True)])
def test_broken_text_in_any_input_is_a_problem_never_a_crash(type_name: str) -> None:
    kind = find_form(type_name)
    assert kind is not None
    for field in kind.fields:
        for text in BROKEN_TEMPLATES:
            for form in _shapes(type_name, field, text):
                _definition, problems = checked_definition(form, None, SECRET_BOX)
                reshown(form, SECRET_BOX, problems)
                if field in kind.templated and text.count("{{") == 1 and "fooo %" not in text:
                    assert any(key.endswith(f".config.{field}") for key in problems), (
                        field,
                        text,
                        problems,
                    )


def test_broken_text_in_any_trigger_input_is_a_problem_never_a_crash() -> None:
    for text in BROKEN_TEMPLATES:
        for kind in ("webhook", "schedule"):
            values = {name: text for name in TEXT_FIELDS} | {"kind": kind}
            trigger = TriggerForm(values=values, new_secret=text, new_verify_token=text)
            form = WorkflowForm(name="Broken", trigger=trigger)
            definition, problems = checked_definition(form, None, SECRET_BOX)
            assert definition is None and problems, text


@pytest.fixture
async def editor(client: AsyncTestClient) -> AsyncTestClient:  # type: ignore[type-arg]
    await signed_in_with_token(client, "templates@example.com")
    return client


async def test_unknown_filter_is_shown_next_to_the_body_and_the_form_is_kept(
    editor: AsyncTestClient,  # type: ignore[type-arg]
) -> None:
    body = '{"a": "{{ trigger.body.x | uppr }}"}'
    fields = set_inputs(
        await new_editor_with(editor, "http_request"),
        "steps-0",
        {"url": "https://api.example.com/orders", "body": body},
    )
    answer = await press(editor, "/workflows/new", fields)
    assert answer.status_code == 400, answer.text
    assert_problem_next_to(answer.text, "steps-0-body", "No filter named 'uppr'")
    assert "Did you mean upper?" in answer.text
    kept = html(answer.text).find("textarea", attrs={"name": "steps-0-body"})
    assert kept is not None and kept.text == body, "what was typed is shown again"


async def test_every_input_of_a_step_reports_its_problem_at_once(
    editor: AsyncTestClient,  # type: ignore[type-arg]
) -> None:
    fields = set_inputs(
        await new_editor_with(editor, "slack_message"),
        "steps-0",
        {"webhook_url": "ftp://hooks.example.com/secret", "text": "Hello {{ trigger.body."},
    )
    answer = await press(editor, "/workflows/new", fields)
    assert answer.status_code == 400, answer.text
    assert_problem_next_to(answer.text, "steps-0-webhook_url", "http")
    assert_problem_next_to(
        answer.text,
        "steps-0-text",
        "This template is not finished: a {{ is not closed with }} (line 1)",
    )
