"""Only the schedule inputs the chosen frequency uses count: a leftover of another choice
(hidden on the page) never blocks saving, and problems show under "How it starts"."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

from app.workflows.schedules import ScheduleConfig
from tests.conftest import ApiUser
from tests.web.editor_support import harvest, html, press, signed_in_with_token, with_values

BAD_CRON = "61 25 * * 8"


@pytest.fixture
async def editor(client: AsyncTestClient) -> AsyncTestClient:  # type: ignore[type-arg]
    await signed_in_with_token(client, "clock@example.com")
    return client


async def _new_form(client: AsyncTestClient) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    fields = harvest(html((await client.get("/workflows/new")).text))
    fields = [(name, value) for name, value in fields if not name.startswith("steps-")]
    return with_values(fields, name="Every minute ping")


async def test_switching_away_from_a_bad_cron_saves_the_new_frequency(
    editor: AsyncTestClient,  # type: ignore[type-arg]
) -> None:
    fields = with_values(
        await _new_form(editor),
        trigger__kind="schedule",
        trigger__schedule__every="cron",
        trigger__schedule__cron=BAD_CRON,
    )
    refused = await press(editor, "/workflows/new", fields)
    assert refused.status_code == 400
    page = html(refused.text)
    error = page.select_one("#trigger-start #trigger-schedule-cron-error")
    assert error is not None and "not a valid cron expression" in error.text
    summary = page.select_one(".error-summary a[href='#trigger-schedule-cron-error']")
    assert summary is not None and summary.text == "How it starts: cron expression"
    assert page.select_one("#trigger-settings .field-error") is None

    again = with_values(
        harvest(page),
        trigger__schedule__every="minutes",
        trigger__schedule__interval_minutes="1",
    )
    assert ("trigger-schedule-cron", BAD_CRON) in again, "the hidden input still holds it"
    saved = await press(editor, "/workflows/new", again)
    assert saved.status_code in (302, 303), saved.text
    detail = html((await editor.get(saved.headers["location"])).text)
    schedule = detail.select_one("#schedule")
    assert schedule is not None and "Every minute" in schedule.get_text()
    editor_page = html((await editor.get(saved.headers["location"] + "/edit")).text)
    cron = editor_page.select_one("#trigger-schedule-cron")
    assert cron is not None and cron.get("value", "") == "", "the leftover is not kept"


async def test_a_webhook_workflow_ignores_every_schedule_input(
    editor: AsyncTestClient,  # type: ignore[type-arg]
) -> None:
    fields = with_values(
        await _new_form(editor),
        trigger__kind="webhook",
        trigger__schedule__every="minutes",
        trigger__schedule__interval_minutes="ten",
        trigger__schedule__minute="75",
        trigger__schedule__cron=BAD_CRON,
        trigger__schedule__timezone="Mars/Olympus",
    )
    saved = await press(editor, "/workflows/new", fields)
    assert saved.status_code in (302, 303), saved.text


async def test_a_schedule_problem_of_the_chosen_frequency_is_under_how_it_starts(
    editor: AsyncTestClient,  # type: ignore[type-arg]
) -> None:
    fields = with_values(
        await _new_form(editor),
        trigger__kind="schedule",
        trigger__schedule__every="minutes",
        trigger__schedule__interval_minutes="",
        trigger__schedule__cron=BAD_CRON,
    )
    refused = await press(editor, "/workflows/new", fields)
    assert refused.status_code == 400
    page = html(refused.text)
    problems = page.select(".error-summary li")
    assert [li.a.text for li in problems if li.a] == ["How it starts: minutes between runs"]
    error = page.select_one("#trigger-start #trigger-schedule-interval_minutes-error")
    assert error is not None and "how many minutes apart" in error.text


def test_a_schedule_checks_only_what_its_frequency_uses() -> None:
    hourly = ScheduleConfig.model_validate({"every": "hourly", "minute": 5, "cron": BAD_CRON})
    assert hourly.cron is None and hourly.cron_expression() == "5 * * * *"
    with pytest.raises(ValueError, match="not a valid cron expression") as caught:
        ScheduleConfig.model_validate({"every": "cron", "cron": BAD_CRON})
    assert "cron" in str(caught.value)


async def test_the_api_drops_a_cron_the_frequency_does_not_use(
    client: AsyncTestClient,  # type: ignore[type-arg]
    api_user: ApiUser,
) -> None:
    trigger = {
        "kind": "schedule",
        "schedule": {"every": "minutes", "interval_minutes": 5, "cron": BAD_CRON},
    }
    made = await client.post(
        "/api/v1/workflows", json={"name": "Tick", "trigger": trigger}, headers=api_user.headers
    )
    assert made.status_code == 201, made.text
    assert made.json()["trigger"]["schedule"]["cron"] is None
