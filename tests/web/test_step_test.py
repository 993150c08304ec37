"""Testing one step from the editor: the real request reaches the destination, the page
shows it (secrets masked) and the answer, nothing is recorded as a run; errors are clear."""

from __future__ import annotations

import ipaddress
import json
import time
from typing import Any

import pytest
from bs4 import BeautifulSoup
from litestar.testing import AsyncTestClient

from app.settings import Settings
from app.store.tables import Run, StepAttempt
from app.web.step_trial import try_step
from app.workflows.definition import StepDefinition
from tests.conftest import wait_for
from tests.fixtures import FIXTURES
from tests.support.editor_pages import (
    HTMX,
    as_form_data,
    count_rows,
    editor_fields,
    sign_up,
    stored_workflow,
    with_field,
)
from tests.support.local_http import LocalServer

STRIPE_TEXT = (FIXTURES / "stripe" / "payment_intent.succeeded.json").read_text()
SECRET = "Bearer sk_live_abcdefgh12345678"


def html(text: str) -> BeautifulSoup:
    return BeautifulSoup(text, "html.parser")


@pytest.fixture
async def owner(client: AsyncTestClient, settings: Settings) -> int:
    return await sign_up(client, settings, "tester@example.com")


async def _held_workflow(settings: Settings, owner: int, sink: LocalServer) -> tuple[int, str]:
    """A workflow that is off: events are kept (held) but never run by themselves."""
    step = StepDefinition(type="http_request", config={"url": sink.url("/orders")})
    return await stored_workflow(settings, owner, [step], name="Held orders", enabled=False)


async def _test_step(
    client: AsyncTestClient, workflow_id: int, changes: dict[str, str], index: int = 0
) -> Any:  # type: ignore[type-arg]
    fields = editor_fields((await client.get(f"/workflows/{workflow_id}/edit")).text)
    for suffix, value in changes.items():
        fields = with_field(fields, f"steps-{index}-{suffix}", value)
    return await client.post(
        f"/workflows/{workflow_id}/steps/test",
        data=as_form_data([*fields, ("test_step", str(index))]),
        headers=HTMX,
    )


async def test_step_test_sends_the_real_request_and_records_no_run(
    client: AsyncTestClient, settings: Settings, owner: int, sink: LocalServer
) -> None:
    workflow_id, hook = await _held_workflow(settings, owner, sink)
    posted = await client.post(
        hook, content=STRIPE_TEXT, headers={"Content-Type": "application/json"}
    )
    assert posted.status_code == 202
    body = '{"amount": "{{ trigger.body.data.object.amount }}", "who": "{{ trigger.body.nobody }}"}'
    answer = await _test_step(
        client,
        workflow_id,
        {"body": body, "headers": f"Content-Type: application/json\nAuthorization: {SECRET}"},
    )
    assert answer.status_code == 200, answer.text
    assert len(sink.received) == 1
    arrived = sink.received[0]
    assert (arrived.method, arrived.path) == ("POST", "/orders")
    assert json.loads(arrived.body) == {"amount": 1099, "who": None}
    assert arrived.header("Authorization") == SECRET

    result = html(answer.text).select_one("section.step-test-result")
    assert result["data-outcome"] == "succeeded"
    assert '"amount":1099' in result.select_one("pre.request").text.replace(" ", "")
    assert "sk_live_abcdefgh12345678" not in answer.text
    assert "Response received: 200" in result.text
    assert '"ok": true' in result.select_one("pre.response").text
    warnings = [p.text for p in result.select(".warning")]
    assert any("trigger.body.nobody is missing" in warning for warning in warnings)
    assert await count_rows(settings, Run, workflow_id=workflow_id) == 0
    assert await count_rows(settings, StepAttempt) == 0


async def test_step_test_uses_earlier_steps_last_outputs(
    client: AsyncTestClient, settings: Settings, owner: int, sink: LocalServer
) -> None:
    first = StepDefinition(type="http_request", config={"url": sink.url("/exact")})
    second = StepDefinition(type="http_request", config={"url": sink.url("/second")})
    workflow_id, hook = await stored_workflow(settings, owner, [first, second])
    await client.post(hook, json={"n": 1})

    async def finished() -> bool:
        return await count_rows(settings, Run, workflow_id=workflow_id, status="succeeded") == 1

    await wait_for(finished)
    runs, attempts, calls = (
        await count_rows(settings, Run),
        await count_rows(settings, StepAttempt),
        len(sink.received),
    )
    answer = await _test_step(
        client, workflow_id, {"body": '{"id": "{{ steps[0].response.body.id }}"}'}, index=1
    )
    assert answer.status_code == 200, answer.text
    assert sink.received[-1].path == "/second"
    assert json.loads(sink.received[-1].body) == {"id": 7615917337495251231}
    assert len(sink.received) == calls + 1
    assert (await count_rows(settings, Run), await count_rows(settings, StepAttempt)) == (
        runs,
        attempts,
    )


async def test_step_with_a_template_error_shows_it_and_sends_nothing(
    client: AsyncTestClient, settings: Settings, owner: int, sink: LocalServer
) -> None:
    workflow_id, hook = await _held_workflow(settings, owner, sink)
    await client.post(hook, json={"n": 1})
    answer = await _test_step(client, workflow_id, {"body": "Total: {{ trigger.body.n "})
    assert answer.status_code == 422
    result = html(answer.text).select_one("section.step-test-result")
    assert result is not None and result["data-outcome"] == "not_run"
    assert "Not run: fix this first" in result.select_one("h3").text
    assert "really ran" not in result.text and "Failed" not in result.text
    problem = result.select_one("[role=alert] ul.problems li")
    assert problem is not None
    assert problem.select_one("strong").text == "Step 1 (HTTP request): Body"
    assert "{{" in problem.text  # the template problem itself, in words
    assert "steps[0]" not in result.text
    assert sink.received == []


async def test_step_test_names_a_problem_by_the_label_of_its_input(
    client: AsyncTestClient, settings: Settings, owner: int, sink: LocalServer
) -> None:
    first = StepDefinition(type="http_request", config={"url": sink.url("/orders")})
    discord = {"webhook_url": sink.url("/discord"), "content": "Paid"}
    second = StepDefinition(type="discord_message", name="Tell ops", config=discord)
    workflow_id, hook = await stored_workflow(settings, owner, [first, second], enabled=False)
    await client.post(hook, json={"n": 1})
    answer = await _test_step(client, workflow_id, {"content": "Paid {{ trigger.body.n "}, 1)
    assert answer.status_code == 422
    labels = [s.text for s in html(answer.text).select("ul.problems li strong")]
    assert labels == ["Step 2 (Discord message): Message"]
    assert sink.received == []


async def test_step_test_without_any_event_says_how_to_get_one(
    client: AsyncTestClient, settings: Settings, owner: int, sink: LocalServer
) -> None:
    workflow_id, _hook = await _held_workflow(settings, owner, sink)
    answer = await _test_step(client, workflow_id, {})
    assert answer.status_code == 409
    assert "No event has arrived" in html(answer.text).select_one("[role=alert]").text
    assert sink.received == []


async def test_step_test_of_another_users_workflow_is_not_found(
    client: AsyncTestClient, settings: Settings, sink: LocalServer
) -> None:
    victim = await sign_up(client, settings, "victim@example.com")
    workflow_id, hook = await _held_workflow(settings, victim, sink)
    await client.post(hook, json={"n": 1})
    fields = editor_fields((await client.get(f"/workflows/{workflow_id}/edit")).text)
    client.cookies.clear()
    await sign_up(client, settings, "mallory@example.com")
    token = editor_fields((await client.get("/workflows/new")).text)
    answer = await client.post(
        f"/workflows/{workflow_id}/steps/test",
        data=as_form_data(
            [*[f for f in fields if f[0] != "_csrf_token"], *token[:1], ("test_step", "0")]
        ),
        headers=HTMX,
    )
    assert answer.status_code == 404
    assert sink.received == []


async def test_step_test_needs_the_csrf_token(
    client: AsyncTestClient, settings: Settings, owner: int, sink: LocalServer
) -> None:
    workflow_id, hook = await _held_workflow(settings, owner, sink)
    await client.post(hook, json={"n": 1})
    fields = editor_fields((await client.get(f"/workflows/{workflow_id}/edit")).text)
    without = [field for field in fields if field[0] != "_csrf_token"]
    answer = await client.post(
        f"/workflows/{workflow_id}/steps/test", data=as_form_data([*without, ("test_step", "0")])
    )
    assert answer.status_code == 403
    assert sink.received == []


# The decision of control-flow steps and the SSRF guard, through the same trial code.

CONTEXT = {"trigger": {"body": {"amount": 1099}}, "steps": []}


async def test_filter_step_shows_its_decision(settings: Settings) -> None:
    condition = {"field": "{{ trigger.body.amount }}", "operator": "greater_than", "value": "5000"}
    step = StepDefinition(type="filter", config={"conditions": [condition]})
    trial = await try_step(settings, step, CONTEXT, number=2)
    assert trial.outcome == "filtered"
    assert trial.result is not None
    assert trial.result.output["filter"]["summary"].startswith("Conditions not met")


async def test_delay_step_reports_when_it_would_wake_without_waiting(settings: Settings) -> None:
    step = StepDefinition(type="delay", config={"mode": "for", "amount": 3, "unit": "days"})
    started = time.monotonic()
    trial = await try_step(settings, step, CONTEXT, number=1)
    assert time.monotonic() - started < 2
    assert trial.outcome == "succeeded"
    assert trial.result is not None
    assert trial.result.output["delay"]["summary"].startswith("Waiting until")


async def test_step_test_is_refused_private_addresses_like_a_run(
    settings: Settings, sink: LocalServer
) -> None:
    closed = settings.model_copy(
        update={"outbound": settings.outbound.model_copy(update={"allow_networks": ()})}
    )
    assert ipaddress.ip_address(sink.host).is_loopback
    step = StepDefinition(type="http_request", config={"url": sink.url("/private")})
    trial = await try_step(closed, step, CONTEXT, number=1)
    assert trial.outcome == "failed"
    assert trial.result is not None and trial.result.error
    assert "private" in trial.result.error.lower() or "local" in trial.result.error.lower()
    assert sink.received == []
