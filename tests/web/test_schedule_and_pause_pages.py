"""The schedule trigger in the editor and API, and an auto-pause as the owner sees it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from bs4 import BeautifulSoup
from litestar.testing import AsyncTestClient

from app.settings import Settings
from app.store.alerts import count_finished_run
from app.store.db import create_engine, create_session_factory, transaction
from app.store.tables import Workflow
from tests.conftest import ApiUser
from tests.support.page_session import csrf_token, sign_in_browser_session

WEEKLY_IN_PARIS = {
    "trigger-kind": "schedule",
    "trigger-schedule-every": "weekly",
    "trigger-schedule-weekday": "friday",
    "trigger-schedule-time": "07:05",
    "trigger-schedule-timezone": "Europe/Paris",
}


def html(text: str) -> BeautifulSoup:
    return BeautifulSoup(text, "html.parser")


@pytest.fixture
async def signed_in(client: AsyncTestClient) -> AsyncTestClient:  # type: ignore[type-arg]
    await sign_in_browser_session(client, "sam@example.com", "correct horse battery")
    return client


async def submit(client: AsyncTestClient, path: str, fields: dict[str, str]) -> Any:  # type: ignore[type-arg]
    token = csrf_token((await client.get(path)).text)
    data = {"_csrf_token": token, "action": "save", "name": "Weekly report", "enabled": "on"}
    data |= {"trigger-methods": "POST", **fields}
    return await client.post(path, data=data, follow_redirects=False)


async def test_a_schedule_made_in_the_editor_shows_its_next_runs_in_its_zone(
    signed_in: AsyncTestClient,  # type: ignore[type-arg]
) -> None:
    created = await submit(signed_in, "/workflows/new", WEEKLY_IN_PARIS)
    assert created.status_code in (302, 303), created.text
    detail = html((await signed_in.get(created.headers["location"])).text)
    schedule = detail.select_one("#schedule")
    assert schedule is not None
    assert "Every Friday at 07:05 (Europe/Paris)" in schedule.get_text()
    next_run = detail.select_one("#next-run")
    assert next_run is not None and next_run.get_text().startswith("Fri ")
    assert " 07:05 CE" in next_run.get_text()  # CET or CEST, in Paris time

    editor = html((await signed_in.get(created.headers["location"] + "/edit")).text)
    checked = editor.select_one("input[name='trigger-kind'][checked]")
    assert checked is not None and checked["value"] == "schedule"
    weekday = editor.select_one("#trigger-schedule-weekday option[selected]")
    assert weekday is not None and weekday["value"] == "friday"
    zone = editor.select_one("#trigger-schedule-timezone")
    assert zone is not None and zone["value"] == "Europe/Paris"
    upcoming = editor.select_one("#schedule-next-runs")
    assert upcoming is not None and upcoming.get_text().count("Fri ") == 3
    assert editor.select_one("label[for='trigger-schedule-timezone']") is not None


@pytest.mark.parametrize(
    ("fields", "field_id", "message"),
    [
        (
            {"trigger-schedule-every": "cron", "trigger-schedule-cron": "61 * * * *"},
            "trigger-schedule-cron-error",
            "Bad minute",
        ),
        (
            {"trigger-schedule-timezone": "Mars/Olympus"},
            "trigger-schedule-timezone-error",
            "not a time zone",
        ),
        (
            {"trigger-schedule-every": "minutes", "trigger-schedule-interval_minutes": "0"},
            "trigger-schedule-interval_minutes-error",
            "at most once a minute",
        ),
        (
            {"trigger-schedule-every": "minutes", "trigger-schedule-interval_minutes": "ten"},
            "trigger-schedule-interval_minutes-error",
            "whole number",
        ),
    ],
)
async def test_a_bad_schedule_is_refused_next_to_its_field(
    signed_in: AsyncTestClient,  # type: ignore[type-arg]
    fields: dict[str, str],
    field_id: str,
    message: str,
) -> None:
    answer = await submit(signed_in, "/workflows/new", {"trigger-kind": "schedule", **fields})
    assert answer.status_code == 400
    error = html(answer.text).select_one(f"#{field_id}")
    assert error is not None and message in error.get_text()


async def test_the_api_takes_a_schedule_in_the_trigger_json(
    client: AsyncTestClient,  # type: ignore[type-arg]
    api_user: ApiUser,
) -> None:
    trigger = {"kind": "schedule", "schedule": {"every": "cron", "cron": "*/10 * * * *"}}
    made = await client.post(
        "/api/v1/workflows", json={"name": "Ticker", "trigger": trigger}, headers=api_user.headers
    )
    assert made.status_code == 201, made.text
    # The API tells when the next scheduled run is due (a 10-minute grid, within 10 min).
    next_run = datetime.fromisoformat(made.json()["next_run_at"])
    assert timedelta(0) < next_run - datetime.now(UTC) <= timedelta(minutes=10)
    assert next_run.minute % 10 == 0 and next_run.second == 0
    bad = {"kind": "schedule", "schedule": {"every": "daily", "timezone": "Nowhere/Town"}}
    refused = await client.post(
        "/api/v1/workflows", json={"name": "Ticker", "trigger": bad}, headers=api_user.headers
    )
    assert refused.status_code == 400
    assert "not a time zone" in refused.text
    missing = await client.post(
        "/api/v1/workflows",
        json={"name": "Ticker", "trigger": {"kind": "schedule"}},
        headers=api_user.headers,
    )
    assert missing.status_code == 400 and "needs a schedule" in missing.text


async def test_the_api_shows_why_a_workflow_was_paused_and_its_failure_streak(
    client: AsyncTestClient,  # type: ignore[type-arg]
    api_user: ApiUser,
) -> None:
    made = await client.post("/api/v1/workflows", json={"name": "Orders"}, headers=api_user.headers)
    workflow_id = made.json()["id"]
    assert made.json()["paused_reason"] is None and made.json()["failure_streak"] == 0
    settings: Settings = client.app.state.settings
    engine = create_engine(settings.database)
    try:
        async with transaction(create_session_factory(engine)) as session:
            await count_finished_run(
                session, workflow_id=workflow_id, failed=True, error="HTTP 500", pause_after=2
            )
        shown = await client.get(f"/api/v1/workflows/{workflow_id}", headers=api_user.headers)
        assert shown.json()["failure_streak"] == 1 and shown.json()["enabled"] is True
        async with transaction(create_session_factory(engine)) as session:
            await count_finished_run(
                session, workflow_id=workflow_id, failed=True, error="HTTP 500", pause_after=2
            )
    finally:
        await engine.dispose()
    shown = await client.get(f"/api/v1/workflows/{workflow_id}", headers=api_user.headers)
    assert shown.json()["enabled"] is False
    assert shown.json()["paused_reason"].startswith("Paused after 2 failed runs in a row")
    assert shown.json()["next_run_at"] is None


async def test_an_auto_paused_workflow_says_why_until_it_is_turned_back_on(
    signed_in: AsyncTestClient,  # type: ignore[type-arg]
) -> None:
    created = await submit(signed_in, "/workflows/new", {"trigger-kind": "webhook"})
    path = created.headers["location"]
    workflow_id = int(path.rsplit("/", 1)[1])
    settings: Settings = signed_in.app.state.settings
    engine = create_engine(settings.database)
    try:
        async with transaction(create_session_factory(engine)) as session:
            paused = await count_finished_run(
                session, workflow_id=workflow_id, failed=True, error="HTTP 503", pause_after=1
            )
            assert paused
            assert (await session.get(Workflow, workflow_id)) is not None
    finally:
        await engine.dispose()
    reason = "Paused after 1 failed run in a row; last error: HTTP 503."
    detail = html((await signed_in.get(path)).text)
    banner = detail.select_one("#paused-reason")
    assert banner is not None and reason in banner.get_text()
    hook_url = detail.select_one("#hook-url")
    assert hook_url is not None
    sent = await signed_in.post(
        str(hook_url["value"]).removeprefix("http://testserver.local"), json={}
    )
    assert sent.status_code == 202  # still stored, but held: the workflow is off
    events = html((await signed_in.get(f"{path}/events")).text)
    assert [row["data-outcome"] for row in events.select("tr[data-event-id]")] == ["held"]
    row = html((await signed_in.get("/")).text).select_one(f"[data-workflow-id='{workflow_id}']")
    assert row is not None
    paused_line = row.select_one(".paused-reason")
    assert paused_line is not None and reason in paused_line.get_text()

    page = await signed_in.get(path)
    turned_on = await signed_in.post(
        f"{path}/toggle", data={"_csrf_token": csrf_token(page.text)}, follow_redirects=False
    )
    assert turned_on.status_code in (302, 303)
    assert html((await signed_in.get(path)).text).select_one("#paused-reason") is None
    row = html((await signed_in.get("/")).text).select_one(f"[data-workflow-id='{workflow_id}']")
    assert row is not None and row.select_one(".paused-reason") is None
