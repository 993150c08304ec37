"""The field picker: fields of the latest real event (and earlier steps' outputs) as buttons
that insert expressions which render back the value shown; pasted samples; ownership."""

from __future__ import annotations

import json
from typing import Any

import pytest
from bs4 import BeautifulSoup
from litestar.testing import AsyncTestClient

from app.settings import Settings
from app.store.tables import Event, Run
from app.workflows.definition import StepDefinition
from app.workflows.exact_json import load_exact_json
from app.workflows.templating import render_value
from tests.conftest import wait_for
from tests.fixtures import FIXTURES
from tests.support.editor_pages import HTMX, count_rows, sign_up, stored_workflow
from tests.support.local_http import LocalServer
from tests.support.page_session import csrf_token

STRIPE_TEXT = (FIXTURES / "stripe" / "payment_intent.succeeded.json").read_text()
STRIPE = load_exact_json(STRIPE_TEXT)
AWKWARD = {
    "a.b": {"x y": "dotted then spaced"},
    "prénom": "Zoë",
    'it\'s "quoted"': 1,
    "x-request-id": "dash",
    "list": [{"sku": "A-1"}, {"sku": "B-2"}],
}


def html(text: str) -> BeautifulSoup:
    return BeautifulSoup(text, "html.parser")


def insert_buttons(page: BeautifulSoup) -> dict[str, str]:
    """Each insert button's expression -> the sample value it shows."""
    found = {}
    for button in page.select("button[data-insert]"):
        sample = button.select_one(".sample")
        found[str(button["data-insert"])] = sample.text if sample else ""
    return found


@pytest.fixture
async def owner(client: AsyncTestClient, settings: Settings) -> int:
    return await sign_up(client, settings, "picker@example.com")


async def _workflow(settings: Settings, owner: int, sink: LocalServer) -> tuple[int, str]:
    step = StepDefinition(type="http_request", config={"url": sink.url("/orders")})
    return await stored_workflow(settings, owner, [step, step])


async def test_picker_without_events_explains_how_to_send_one(
    client: AsyncTestClient, settings: Settings, owner: int, sink: LocalServer
) -> None:
    workflow_id, hook = await _workflow(settings, owner, sink)
    answer = await client.get(f"/workflows/{workflow_id}/fields", headers=HTMX)
    assert answer.status_code == 200
    page = html(answer.text)
    assert page.select_one("html") is None, "htmx gets the fragment only"
    assert "No event has arrived yet" in page.text
    assert page.select_one("input[readonly]")["value"] == f"http://testserver.local{hook}"
    assert f"curl -X POST 'http://testserver.local{hook}'" in page.select_one("pre").text
    assert page.select_one("details.sample-paste").has_attr("open")
    assert page.select_one("textarea[name=sample]") is not None
    assert insert_buttons(page) == {}


async def test_picker_lists_the_stripe_event_fields_with_samples(
    client: AsyncTestClient, settings: Settings, owner: int, sink: LocalServer
) -> None:
    workflow_id, hook = await _workflow(settings, owner, sink)
    posted = await client.post(
        hook, content=STRIPE_TEXT, headers={"Content-Type": "application/json"}
    )
    assert posted.status_code == 202
    page = html((await client.get(f"/workflows/{workflow_id}/fields", headers=HTMX)).text)
    buttons = insert_buttons(page)
    assert buttons["{{ trigger.body.data.object.amount }}"] == "1099"
    assert buttons["{{ trigger.body.data.object.currency }}"] == "usd"
    assert buttons["{{ trigger.headers['content-type'] }}"] == "application/json"
    assert "{{ trigger.method }}" in buttons
    assert f"event #{posted.json()['event_id']}" in page.text


async def test_every_offered_expression_renders_the_sample_it_shows(
    client: AsyncTestClient, settings: Settings, owner: int, sink: LocalServer
) -> None:
    workflow_id, hook = await _workflow(settings, owner, sink)
    await client.post(hook, json=AWKWARD, params={"page": "2"})
    page = html((await client.get(f"/workflows/{workflow_id}/fields", headers=HTMX)).text)
    buttons = insert_buttons(page)
    expected = {
        "{{ trigger.body['a.b']['x y'] }}": "dotted then spaced",
        "{{ trigger.body['prénom'] }}": "Zoë",
        "{{ trigger.body['it\\'s \\\"quoted\\\"'] }}": "1",
        "{{ trigger.body['x-request-id'] }}": "dash",
        "{{ trigger.body.list[1].sku }}": "B-2",
        "{{ trigger.query.page }}": "2",
    }
    for expression, sample in expected.items():
        assert buttons[expression] == sample
    context = {"trigger": {"body": AWKWARD, "query": {"page": "2"}}}
    for expression, sample in expected.items():
        assert str(render_value(expression, context).value) == sample


async def test_pasted_sample_feeds_the_picker_and_never_runs(
    client: AsyncTestClient, settings: Settings, owner: int, sink: LocalServer
) -> None:
    workflow_id, _hook = await _workflow(settings, owner, sink)
    editor = await client.get(f"/workflows/{workflow_id}/edit")
    token = csrf_token(editor.text)
    bad = await client.post(
        f"/workflows/{workflow_id}/sample",
        data={"sample": '{"order": ', "_csrf_token": token},
        headers=HTMX,
    )
    assert bad.status_code == 400
    error = html(bad.text).select_one(".field-error[role=alert]")
    assert error is not None and "not valid JSON" in error.text
    assert html(bad.text).select_one("textarea[name=sample]").text == '{"order": '
    assert await count_rows(settings, Event, workflow_id=workflow_id) == 0

    sample = {"order": {"total": 10.50, "customer name": "Ann"}}
    good = await client.post(
        f"/workflows/{workflow_id}/sample",
        data={"sample": json.dumps(sample), "_csrf_token": token},
        headers=HTMX,
    )
    assert good.status_code == 200
    buttons = insert_buttons(html(good.text))
    assert buttons["{{ trigger.body.order['customer name'] }}"] == "Ann"
    assert buttons["{{ trigger.body.order.total }}"] == "10.5"
    assert "From the sample you pasted" in html(good.text).text
    assert await count_rows(settings, Event, workflow_id=workflow_id, outcome="sample") == 1
    assert await count_rows(settings, Run, workflow_id=workflow_id) == 0
    history = html((await client.get(f"/workflows/{workflow_id}")).text)
    row = history.select_one("tr[data-outcome=sample]")
    assert row is not None and "Pasted sample" in row.text


async def test_sample_needs_the_csrf_token(
    client: AsyncTestClient, settings: Settings, owner: int, sink: LocalServer
) -> None:
    workflow_id, _hook = await _workflow(settings, owner, sink)
    answer = await client.post(f"/workflows/{workflow_id}/sample", data={"sample": "{}"})
    assert answer.status_code == 403
    assert await count_rows(settings, Event, workflow_id=workflow_id) == 0


async def test_picker_shows_earlier_steps_last_outputs(
    client: AsyncTestClient, settings: Settings, owner: int, sink: LocalServer
) -> None:
    workflow_id, hook = await _workflow(settings, owner, sink)
    await client.post(hook, json={"n": 1})

    async def succeeded() -> bool:
        return await count_rows(settings, Run, workflow_id=workflow_id, status="succeeded") == 1

    await wait_for(succeeded)
    first = html((await client.get(f"/workflows/{workflow_id}/fields?step=0", headers=HTMX)).text)
    assert not any(key.startswith("{{ steps") for key in insert_buttons(first))
    second = html((await client.get(f"/workflows/{workflow_id}/fields?step=1", headers=HTMX)).text)
    buttons = insert_buttons(second)
    assert buttons["{{ steps[0].response.body.ok }}"] == "true"
    assert buttons["{{ steps[0].response.status }}"] == "200"
    assert not any(key.startswith("{{ steps[1]") for key in buttons)


async def test_picker_page_without_htmx_is_a_whole_page(
    client: AsyncTestClient, settings: Settings, owner: int, sink: LocalServer
) -> None:
    workflow_id, _hook = await _workflow(settings, owner, sink)
    page = html((await client.get(f"/workflows/{workflow_id}/fields")).text)
    assert page.select_one("html") is not None
    assert page.select_one(f"a[href='/workflows/{workflow_id}/edit']") is not None
    assert page.select_one("section.field-picker") is not None


async def test_picker_of_another_users_workflow_is_not_found(
    client: AsyncTestClient, settings: Settings, sink: LocalServer
) -> None:
    other = await sign_up(client, settings, "owner@example.com")
    workflow_id, hook = await _workflow(settings, other, sink)
    await client.post(hook, json={"secret": "theirs"})
    client.cookies.clear()
    await sign_up(client, settings, "intruder@example.com")
    token = csrf_token((await client.get("/workflows/new")).text)
    looked: dict[str, Any] = {
        "fields": await client.get(f"/workflows/{workflow_id}/fields", headers=HTMX),
        "sample": await client.post(
            f"/workflows/{workflow_id}/sample", data={"sample": "{}", "_csrf_token": token}
        ),
    }
    for name, answer in looked.items():
        assert answer.status_code == 404, name
        assert "theirs" not in answer.text
    assert await count_rows(settings, Event, workflow_id=workflow_id) == 1


async def test_editor_offers_the_tools_on_each_top_level_step(
    client: AsyncTestClient, settings: Settings, owner: int, sink: LocalServer
) -> None:
    workflow_id, _hook = await _workflow(settings, owner, sink)
    page = html((await client.get(f"/workflows/{workflow_id}/edit")).text)
    cards = page.select("form.editor fieldset.step")
    assert len(cards) == 2
    for index, card in enumerate(cards):
        picker = card.select_one(".step-tools a.pick-fields")
        assert picker["href"] == f"/workflows/{workflow_id}/fields?step={index}"
        assert picker["hx-get"] == picker["href"]
        test = card.select_one(".step-tools button.test-step")
        assert test["hx-post"] == f"/workflows/{workflow_id}/steps/test"
        assert json.loads(test["hx-vals"]) == {"test_step": str(index)}
        assert card.select("[data-template-field]"), "the step has fields to insert into"
