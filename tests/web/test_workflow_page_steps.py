"""The workflow page as its owner reads it (issue 5): each step's type, name and what it
does, a path's steps under it, no empty tables, "Run held events" only when something is
held, and a scheduled workflow's webhook URL as one short line."""

from __future__ import annotations

from typing import Any

import pytest
from bs4 import BeautifulSoup, Tag
from litestar.testing import AsyncTestClient

from app.settings import Settings
from app.store.db import create_engine, create_session_factory, transaction
from app.store.sealing import vault_for
from app.store.workflows import create_workflow
from app.workflows.definition import StepDefinition, WorkflowDefinition
from tests.support.editor_pages import sign_up, stored_workflow

SLACK_URL = "https://hooks.slack.com/services/T000/B000/abcdefghijklmnop"
CONDITION = {"field": "{{ trigger.body.type }}", "operator": "equals", "value": "paid"}


def html(text: str) -> BeautifulSoup:
    return BeautifulSoup(text, "html.parser")


def words(element: Tag) -> str:
    return " ".join(element.get_text(" ").split())


@pytest.fixture
async def owner(client: AsyncTestClient, settings: Settings) -> int:  # type: ignore[type-arg]
    return await sign_up(client, settings, "reader@example.com")


def every_type() -> list[StepDefinition]:
    slack = {"webhook_url": SLACK_URL, "text": "Paid!"}
    email = {
        "host": "smtp.example.com",
        "from_address": "bot@example.com",
        "to": "sales@example.com",
        "subject": "Paid",
        "text_body": "Paid",
    }
    paths = {
        "branches": [
            {
                "name": "Big orders",
                "conditions": [{**CONDITION, "operator": "exists"}],
                "steps": [{"type": "slack_message", "name": "Ping VIP", "config": slack}],
            }
        ],
        "fallback": {"name": "Otherwise", "steps": []},
    }
    return [
        StepDefinition(
            type="http_request", config={"method": "PUT", "url": "https://api.example.com/o?key=x"}
        ),
        StepDefinition(type="slack_message", name="Tell #sales", config=slack),
        StepDefinition(type="discord_message", config={"webhook_url": SLACK_URL, "content": "x"}),
        StepDefinition(type="email", config=email),
        StepDefinition(type="filter", config={"conditions": [CONDITION]}),
        StepDefinition(type="delay", config={"mode": "for", "amount": 5, "unit": "minutes"}),
        StepDefinition(
            type="formatter", config={"input": "{{ trigger.body.a }}", "operation": "text_upper"}
        ),
        StepDefinition(type="paths", config=paths),
    ]


async def test_workflow_page_lists_each_step_by_type_name_and_summary(
    client: AsyncTestClient,
    settings: Settings,
    owner: int,  # type: ignore[type-arg]
) -> None:
    workflow_id, _ = await stored_workflow(settings, owner, every_type())
    page = html((await client.get(f"/workflows/{workflow_id}")).text)
    steps = page.select_one("ol.steps")
    assert steps is not None
    rows = [words(li) for li in steps.find_all("li", class_="step-row", recursive=False)]
    assert rows[:7] == [
        "HTTP request · PUT api.example.com",
        "Slack message · Tell #sales · posts to a webhook",
        "Discord message · posts to a webhook",
        "E-mail · to sales@example.com",
        "Filter (only continue if…) · continue if trigger.body.type equals 'paid'",
        "Delay · wait 5 minutes",
        "Format data · Upper case",
    ]
    assert rows[7].startswith("Paths (if / otherwise) · 1 path and a fallback")
    assert not any(row.endswith("—") or "— " in row for row in rows)
    assert SLACK_URL not in page.decode() and "key=x" not in page.decode()
    paths = steps.select("li.path-row")
    assert [words(path.select_one(".path-name")) for path in paths] == ["Big orders", "Otherwise"]
    nested = paths[0].select("ol.nested li.step-row")
    assert [words(li) for li in nested] == ["Slack message · Ping VIP · posts to a webhook"]
    assert "(no steps)" in words(paths[1])


async def test_workflow_page_hides_empty_tables_and_run_held_when_nothing_is_held(
    client: AsyncTestClient,
    settings: Settings,
    owner: int,  # type: ignore[type-arg]
) -> None:
    step = StepDefinition(type="http_request", config={"url": "https://api.example.com/"})
    workflow_id, hook = await stored_workflow(settings, owner, [step], enabled=False)
    page = html((await client.get(f"/workflows/{workflow_id}")).text)
    assert page.select_one("table#runs") is None and page.select_one("table#events") is None
    assert "No runs yet" in page.get_text() and "Nothing received yet" in page.get_text()
    assert page.select_one("#run-held") is None

    assert (await client.post(hook, json={"n": 1})).status_code == 202  # kept, held: it is off
    page = html((await client.get(f"/workflows/{workflow_id}")).text)
    assert page.select_one("table#events tr[data-outcome='held']") is not None
    run_held = page.select_one("#run-held")
    assert run_held is not None and "(1)" in run_held.get_text()


async def test_scheduled_workflow_page_shows_its_webhook_url_as_one_line(
    client: AsyncTestClient,
    settings: Settings,
    owner: int,  # type: ignore[type-arg]
) -> None:
    trigger = {"kind": "schedule", "schedule": {"every": "minutes", "interval_minutes": 15}}

    async def create(session: Any) -> int:
        definition = WorkflowDefinition(name="Ping", trigger=trigger, steps=[])
        workflow = await create_workflow(
            session, user_id=owner, definition=definition, vault=vault_for(settings)
        )
        assert workflow.id is not None
        return workflow.id

    engine = create_engine(settings.database)
    try:
        async with transaction(create_session_factory(engine)) as session:
            workflow_id = await create(session)
    finally:
        await engine.dispose()
    page = html((await client.get(f"/workflows/{workflow_id}")).text)
    card = page.select_one("#webhook")
    assert card is not None
    assert words(card).startswith("Its webhook URL also starts it:")
    url = card.select_one("input#hook-url")
    assert url is not None and "/hooks/" in str(url["value"])
    assert card.select_one("h2") is None and page.select_one("#curl-snippet") is None
    assert card.select_one("a[href$='/edit']") is not None  # the actions stay
