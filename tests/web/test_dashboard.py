"""The dashboard as its owner sees it: status with held events, last run, runs in the last 24 h,
empty states; and the store query behind it costs the same for one workflow or many."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup, Tag
from litestar.testing import AsyncTestClient
from sqlmodel import col, select, update

from app.settings import Settings
from app.store.dashboard import summarize_user_workflows
from app.store.db import create_engine, create_session_factory, transaction
from app.store.events import start_run_for_event
from app.store.tables import Event, Run
from tests.conftest import ApiUser, wait_for
from tests.support.local_http import LocalServer
from tests.support.page_session import csrf_token, sign_in_browser_session
from tests.web.hooks_support import make_hook

BASE = "http://testserver.local"


@pytest.fixture
async def signed_in(client: AsyncTestClient) -> AsyncTestClient:
    await sign_in_browser_session(client, "hana@example.com", "correct horse battery")
    return client


@pytest.fixture
async def engine(settings: Settings) -> AsyncIterator[sa.ext.asyncio.AsyncEngine]:
    engine = create_engine(settings.database)
    yield engine
    await engine.dispose()


async def create_workflow(client: AsyncTestClient, name: str, step_url: str) -> tuple[str, str]:
    """Save a one-step workflow through the editor; returns its page path and hook path."""
    token = csrf_token((await client.get("/workflows/new")).text)
    fields = {
        "_csrf_token": token,
        "action": "save",
        "name": name,
        "enabled": "on",
        "steps-0-type": "http_request",
        "steps-0-method": "POST",
        "steps-0-url": step_url,
        "steps-0-enabled": "on",
    }
    saved = await client.post("/workflows/new", data=fields, follow_redirects=False)
    assert saved.status_code in (302, 303), saved.text
    path = str(saved.headers["location"])
    page = BeautifulSoup((await client.get(path)).text, "html.parser")
    return path, str(page.select_one("#hook-url")["value"]).removeprefix(BASE)


async def dashboard_row(client: AsyncTestClient, workflow_path: str) -> Tag:
    page = BeautifulSoup((await client.get("/")).text, "html.parser")
    workflow_id = workflow_path.rsplit("/", 1)[1]
    row = page.select_one(f".workflow-row[data-workflow-id='{workflow_id}']")
    assert row is not None
    return row


def text_of(row: Tag, selector: str) -> str | None:
    element = row.select_one(selector)
    return " ".join(element.text.split()) if element else None


async def send_events(client: AsyncTestClient, hook_path: str, count: int) -> None:
    for number in range(count):
        answer = await client.post(hook_path, json={"order": number})
        assert answer.status_code == 202, answer.text


async def test_dashboard_empty_state_teaches_creating_a_workflow(
    signed_in: AsyncTestClient,
) -> None:
    page = BeautifulSoup((await signed_in.get("/")).text, "html.parser")
    assert page.select(".workflow-row") == []
    assert page.find("a", string="Create your first workflow")["href"] == "/workflows/new"


async def test_dashboard_new_workflow_waits_for_first_event(
    signed_in: AsyncTestClient, sink: LocalServer
) -> None:
    path, _hook = await create_workflow(signed_in, "Quiet one", sink.url("/in"))
    row = await dashboard_row(signed_in, path)
    assert text_of(row, ".workflow-status") == "On"
    waiting = row.select_one(".waiting")
    assert waiting is not None
    assert waiting.text.split()[:5] == ["Waiting", "for", "the", "first", "event"]
    assert waiting.find("a")["href"] == path
    assert row.select_one(".last-run") is None


async def test_dashboard_shows_last_run_recent_runs_and_held_events(
    signed_in: AsyncTestClient, sink: LocalServer, engine: sa.ext.asyncio.AsyncEngine
) -> None:
    path, hook = await create_workflow(signed_in, "Orders", sink.url("/in"))
    await send_events(signed_in, hook, 2)
    await wait_for(lambda: len(sink.received) == 2)

    async def both_succeeded() -> Tag | None:
        row = await dashboard_row(signed_in, path)
        status = row.select_one(".last-run [data-status]")
        done = status is not None and status["data-status"] == "succeeded"
        return row if done and text_of(row, ".runs-24h") == "2 runs in the last 24 h" else None

    row = await wait_for(both_succeeded)
    assert row.select_one(".waiting") is None
    assert text_of(row, ".last-run [data-status]") == "Succeeded"
    shown_at = datetime.fromisoformat(row.select_one(".last-run time")["datetime"])
    assert datetime.now(UTC) - shown_at < timedelta(minutes=5)

    async with transaction(create_session_factory(engine)) as session:
        first_run = (await session.exec(sa.select(sa.func.min(Run.id)))).scalar_one()  # type: ignore[call-overload]
        two_days_ago = datetime.now(UTC) - timedelta(days=2)
        await session.exec(
            update(Run).where(col(Run.id) == first_run).values(created_at=two_days_ago)
        )  # type: ignore[call-overload]
    assert text_of(await dashboard_row(signed_in, path), ".runs-24h") == "1 run in the last 24 h"

    token = csrf_token((await signed_in.get(path)).text)
    await signed_in.post(f"{path}/toggle", data={"_csrf_token": token})
    await send_events(signed_in, hook, 3)
    row = await dashboard_row(signed_in, path)
    assert text_of(row, ".workflow-status") == "Off — 3 events held"
    assert text_of(row, ".runs-24h") == "1 run in the last 24 h"
    assert len(sink.received) == 2

    async with transaction(create_session_factory(engine)) as session:
        held = select(Event).where(Event.outcome == "held").order_by(col(Event.id)).limit(1)
        event = (await session.exec(held)).one()
        assert event.id is not None
        await start_run_for_event(
            session, workflow_id=event.workflow_id, event_id=event.id, plan=[]
        )
    row = await dashboard_row(signed_in, path)
    assert text_of(row, ".workflow-status") == "Off — 2 events held"


async def test_dashboard_query_count_does_not_grow_with_workflows(
    client: AsyncTestClient,
    api_user: ApiUser,
    other_user: ApiUser,
    engine: sa.ext.asyncio.AsyncEngine,
) -> None:
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    sa.event.listen(engine.sync_engine, "before_cursor_execute", record)
    factory = create_session_factory(engine)

    async def summarize(user: ApiUser) -> tuple[int, int]:
        statements.clear()
        async with transaction(factory) as session:
            rows = await summarize_user_workflows(session, user_id=user.id, now=datetime.now(UTC))
        return len(rows), len(statements)

    await make_hook(client, api_user)
    await make_hook(client, other_user)
    one = await summarize(api_user)
    for _ in range(4):
        await make_hook(client, api_user)
    five = await summarize(api_user)
    assert one[0] == 1 and five[0] == 5
    assert five[1] == one[1] <= 4
