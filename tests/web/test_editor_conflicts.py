"""Two tabs, one workflow: a save made from an outdated version is refused (409) and saves
nothing; saved secrets keep resolving across versions, so nobody retypes them."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from app.store.db import create_engine, create_session_factory, transaction
from app.store.tables import Workflow
from app.store.workflow_versions import claim_workflow_version
from tests.web.editor_support import (
    harvest,
    html,
    opened_steps,
    press,
    signed_in_with_token,
    with_values,
)

SLACK_URL = "https://hooks.slack.com/services/T0/B0/slack-secret-abcdef"
TOKEN = "bearer-token-abcdef-4321"
CONFLICT = (
    "This workflow was changed in another tab or by someone else since you opened it — "
    "reload to see the latest (your changes are below)."
)


@pytest.fixture
async def two_tabs(client: AsyncTestClient) -> tuple[AsyncTestClient, dict[str, str], int]:  # type: ignore[type-arg]
    headers = await signed_in_with_token(client, "tabs@example.com")
    definition: dict[str, Any] = {
        "name": "Orders",
        "steps": [
            {"type": "slack_message", "config": {"webhook_url": SLACK_URL, "text": "New order"}},
            {
                "type": "http_request",
                "config": {"url": "https://api.example.com/o", "auth": "bearer", "token": TOKEN},
            },
        ],
    }
    made = await client.post("/api/v1/workflows", json=definition, headers=headers)
    assert made.status_code == 201, made.text
    return client, headers, made.json()["id"]


async def _open_editor(client: AsyncTestClient, workflow_id: int) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    return harvest(html((await client.get(f"/workflows/{workflow_id}/edit")).text))


async def test_the_second_tab_is_told_and_saves_nothing_then_may_save_on_purpose(
    two_tabs: tuple[AsyncTestClient, dict[str, str], int],  # type: ignore[type-arg]
) -> None:
    client, headers, workflow_id = two_tabs
    path = f"/workflows/{workflow_id}/edit"
    tab_a, tab_b = await _open_editor(client, workflow_id), await _open_editor(client, workflow_id)
    assert ("version", "1") in tab_b

    saved_a = await press(client, path, with_values(tab_a, steps__0__text="Changed in A"))
    assert saved_a.status_code in (302, 303), saved_a.text

    refused = await press(client, path, with_values(tab_b, name="Renamed in B"))
    assert refused.status_code == 409
    page = html(refused.text)
    banner = page.select_one("#edit-conflict")
    assert banner is not None and CONFLICT in " ".join(banner.get_text().split())
    assert page.select_one(".field-error") is None, "no secret is reported missing"
    name = page.select_one("input[name='name']")
    assert name is not None and name["value"] == "Renamed in B", "B's changes are below"
    stored = (await client.get(f"/api/v1/workflows/{workflow_id}", headers=headers)).json()
    assert (stored["name"], stored["version"]) == ("Orders", 2)
    assert stored["steps"][0]["config"]["text"] == "Changed in A"

    again = await press(client, path, harvest(page))
    assert again.status_code == 409, "a plain Save stays refused"
    overwrite = await press(client, path, harvest(page), action="overwrite:2")
    assert overwrite.status_code in (302, 303), overwrite.text
    stored = (await client.get(f"/api/v1/workflows/{workflow_id}", headers=headers)).json()
    assert (stored["name"], stored["version"]) == ("Renamed in B", 3)
    opened = await opened_steps(client, workflow_id)
    assert opened[0]["webhook_url"] == SLACK_URL and opened[1]["token"] == TOKEN


async def test_saved_secrets_keep_resolving_after_another_tab_saves(
    two_tabs: tuple[AsyncTestClient, dict[str, str], int],  # type: ignore[type-arg]
) -> None:
    client, _headers, workflow_id = two_tabs
    path = f"/workflows/{workflow_id}/edit"
    tab_b = await _open_editor(client, workflow_id)
    for round_number in range(2):  # tab A saves twice; tab B's references still resolve
        tab_a = await _open_editor(client, workflow_id)
        saved = await press(client, path, with_values(tab_a, name=f"Round {round_number}"))
        assert saved.status_code in (302, 303), saved.text
    added = await press(client, path, tab_b, action="add:steps:delay")
    assert added.status_code == 200
    page = html(added.text)
    assert page.select_one(".field-error") is None
    filled = with_values(harvest(page), steps__2__amount="5")
    overwrite = await press(client, path, filled, action="overwrite:3")
    assert overwrite.status_code in (302, 303), overwrite.text
    opened = await opened_steps(client, workflow_id)
    assert opened[0]["webhook_url"] == SLACK_URL and opened[1]["token"] == TOKEN
    assert len(opened) == 3


async def test_the_api_refuses_an_update_of_an_outdated_version(
    two_tabs: tuple[AsyncTestClient, dict[str, str], int],  # type: ignore[type-arg]
) -> None:
    client, headers, workflow_id = two_tabs
    url = f"/api/v1/workflows/{workflow_id}"
    first = await client.put(url, json={"name": "First", "version": 1}, headers=headers)
    assert first.status_code == 200 and first.json()["version"] == 2
    stale = await client.put(url, json={"name": "Stale", "version": 1}, headers=headers)
    assert stale.status_code == 409
    assert "changed since version 1" in stale.json()["error"]
    assert (await client.get(url, headers=headers)).json()["name"] == "First"
    unchecked = await client.put(url, json={"name": "Without a version"}, headers=headers)
    assert unchecked.status_code == 200 and unchecked.json()["version"] == 3
    opened = await opened_steps(client, workflow_id)
    assert opened[0]["webhook_url"] == SLACK_URL


async def test_of_two_saves_from_one_version_only_the_first_is_taken(
    two_tabs: tuple[AsyncTestClient, dict[str, str], int],  # type: ignore[type-arg]
) -> None:
    client, _headers, workflow_id = two_tabs
    engine = create_engine(client.app.state.settings.database)
    try:
        async with transaction(create_session_factory(engine)) as session:
            workflow = await session.get(Workflow, workflow_id)
            assert workflow is not None
            assert await claim_workflow_version(session, workflow=workflow, seen_version=1)
            assert not await claim_workflow_version(session, workflow=workflow, seen_version=1)
    finally:
        await engine.dispose()


async def test_an_editor_opened_before_turning_off_or_an_auto_pause_cannot_switch_it_back_on(
    two_tabs: tuple[AsyncTestClient, dict[str, str], int],  # type: ignore[type-arg]
) -> None:
    from app.store.alerts import count_finished_run

    client, headers, workflow_id = two_tabs
    path = f"/workflows/{workflow_id}/edit"
    tab = await _open_editor(client, workflow_id)
    assert ("enabled", "on") in tab
    csrf = dict(tab)["_csrf_token"]
    switched = await client.post(
        f"/workflows/{workflow_id}/toggle", data={"_csrf_token": csrf}, follow_redirects=False
    )
    assert switched.status_code in (302, 303)
    refused = await press(client, path, with_values(tab, name="Renamed"))
    assert refused.status_code == 409
    stored = (await client.get(f"/api/v1/workflows/{workflow_id}", headers=headers)).json()
    assert (stored["enabled"], stored["name"]) == (False, "Orders")

    await client.post(f"/workflows/{workflow_id}/toggle", data={"_csrf_token": csrf})
    tab = await _open_editor(client, workflow_id)
    engine = create_engine(client.app.state.settings.database)
    try:
        async with transaction(create_session_factory(engine)) as session:
            paused = await count_finished_run(
                session, workflow_id=workflow_id, failed=True, error="HTTP 500", pause_after=1
            )
        assert paused
    finally:
        await engine.dispose()
    refused = await press(client, path, with_values(tab, name="Renamed"))
    assert refused.status_code == 409
    stored = (await client.get(f"/api/v1/workflows/{workflow_id}", headers=headers)).json()
    assert stored["enabled"] is False and stored["paused_reason"]
