"""The run page as its owner reads it (issue 5): step headers name the step and its type
in words, and a filtered run says which condition did not hold and with which values."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from litestar.testing import AsyncTestClient
from sqlmodel import select

from app.settings import Settings
from app.store.db import create_engine, create_session_factory, transaction
from app.store.tables import Run
from app.workflows.definition import StepDefinition
from tests.conftest import wait_for
from tests.support.editor_pages import count_rows, sign_up, stored_workflow
from tests.support.local_http import LocalServer


def html(text: str) -> BeautifulSoup:
    return BeautifulSoup(text, "html.parser")


def words(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
async def owner(client: AsyncTestClient, settings: Settings) -> int:  # type: ignore[type-arg]
    return await sign_up(client, settings, "runs@example.com")


async def only_run_id(settings: Settings, workflow_id: int) -> int:
    engine = create_engine(settings.database)
    try:
        async with transaction(create_session_factory(engine)) as session:
            run = (await session.exec(select(Run).where(Run.workflow_id == workflow_id))).one()
            assert run.id is not None
            return run.id
    finally:
        await engine.dispose()


async def test_filtered_run_shows_step_names_and_the_condition_that_did_not_hold(
    client: AsyncTestClient,  # type: ignore[type-arg]
    settings: Settings,
    owner: int,
    sink: LocalServer,
) -> None:
    conditions = [
        {"field": "{{ trigger.body.type }}", "operator": "equals", "value": "paid"},
        {"field": "{{ trigger.body.amount }}", "operator": "greater_than", "value": "1000"},
    ]
    steps = [
        StepDefinition(type="http_request", name="Log it", config={"url": sink.url("/log")}),
        StepDefinition(type="filter", name="Only payments", config={"conditions": conditions}),
        StepDefinition(type="http_request", config={"url": sink.url("/never")}),
    ]
    workflow_id, hook = await stored_workflow(settings, owner, steps)
    assert (await client.post(hook, json={"type": "refund", "amount": 5000})).status_code == 202

    async def filtered() -> bool:
        return await count_rows(settings, Run, workflow_id=workflow_id, status="filtered") == 1

    await wait_for(filtered)
    page = html((await client.get(f"/runs/{await only_run_id(settings, workflow_id)}")).text)
    titles = [words(h2.select_one(".step-title").get_text()) for h2 in page.select(".attempt h2")]
    assert titles == ["Log it · HTTP request", "Only payments · Filter (only continue if…)"]
    assert "http_request" not in page.select_one("#run-status").get_text()

    filter_card = page.select_one(".attempt[data-step-index='1']")
    assert filter_card is not None
    unmet = filter_card.select("li.unmet-condition")
    assert len(unmet) == 1  # the amount condition held, so it is not listed
    assert unmet[0].select_one(".condition-field").get_text() == "{{ trigger.body.type }}"
    assert unmet[0].select_one(".condition-operator").get_text() == "equals"
    assert unmet[0].select_one(".condition-compared").get_text() == "'paid'"
    assert unmet[0].select_one(".condition-actual").get_text() == "'refund'"
    assert [r.path for r in sink.received] == ["/log"]
