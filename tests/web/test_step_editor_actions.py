"""Editing step cards: the type chooser, duplicate, reorder and nested paths, with secrets
that stay with their card and never reach the page (not even sealed)."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tests.web.editor_support import (
    Fields,
    harvest,
    html,
    opened_steps,
    press,
    signed_in_with_token,
)

URL_A = "https://hooks.slack.com/services/T1/B1/first-secret-AAAA"
URL_B = "https://hooks.slack.com/services/T2/B2/second-secret-BBBB"


def slack(url: str, text: str) -> dict[str, Any]:
    return {"type": "slack_message", "config": {"webhook_url": url, "text": text}}


@pytest.fixture
async def api(client: AsyncTestClient) -> dict[str, str]:  # type: ignore[type-arg]
    return await signed_in_with_token(client, "editor@example.com")


async def stored_workflow(client: AsyncTestClient, api: dict[str, str], steps: list[Any]) -> int:  # type: ignore[type-arg]
    answer = await client.post("/api/v1/workflows", json={"name": "W", "steps": steps}, headers=api)
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


async def edit_fields(client: AsyncTestClient, path: str) -> Fields:  # type: ignore[type-arg]
    return harvest(html((await client.get(path)).text))


def assert_hidden(text: str, *secrets: str) -> None:
    assert not any(secret in text for secret in secrets), "a secret reached the page"
    assert "hookline-sealed" not in text, "a sealed value reached the page"


async def test_duplicate_copies_the_step_with_its_secret_without_showing_it(
    client: AsyncTestClient,  # type: ignore[type-arg]
    api: dict[str, str],
) -> None:
    workflow_id = await stored_workflow(client, api, [slack(URL_A, "one")])
    path = f"/workflows/{workflow_id}/edit"
    duplicated = await press(client, path, await edit_fields(client, path), "duplicate:steps-0")
    assert duplicated.status_code == 200
    assert_hidden(duplicated.text, URL_A)
    cards = html(duplicated.text).select("fieldset.step-slack_message")
    assert len(cards) == 2
    assert [c.select_one(".secret-mask").text for c in cards] == ["••••AAAA", "••••AAAA"]

    saved = await press(client, path, harvest(html(duplicated.text)))
    assert saved.status_code in (302, 303), saved.text
    assert [c["webhook_url"] for c in await opened_steps(client, workflow_id)] == [URL_A, URL_A]


async def test_masked_secrets_follow_their_cards_when_reordered(
    client: AsyncTestClient,  # type: ignore[type-arg]
    api: dict[str, str],
) -> None:
    workflow_id = await stored_workflow(
        client, api, [slack(URL_A, "first"), slack(URL_B, "second")]
    )
    path = f"/workflows/{workflow_id}/edit"
    moved = await press(client, path, await edit_fields(client, path), "down:steps-0")
    assert_hidden(moved.text, URL_A, URL_B)
    saved = await press(client, path, harvest(html(moved.text)))
    assert saved.status_code in (302, 303), saved.text
    opened = await opened_steps(client, workflow_id)
    assert [(c["text"], c["webhook_url"]) for c in opened] == [("second", URL_B), ("first", URL_A)]


async def test_typed_secret_survives_editing_actions_without_coming_back(
    client: AsyncTestClient,  # type: ignore[type-arg]
    api: dict[str, str],
) -> None:
    page = await press(
        client, "/workflows/new", await edit_fields(client, "/workflows/new"), "remove_step:steps-0"
    )
    page = await press(
        client, "/workflows/new", harvest(html(page.text)), "add:steps:slack_message"
    )
    fields = [
        (n, v)
        for n, v in harvest(html(page.text))
        if n not in ("name", "steps-0-webhook_url", "steps-0-text")
    ]
    fields += [("name", "Typed"), ("steps-0-webhook_url", URL_B), ("steps-0-text", "hello")]
    page = await press(client, "/workflows/new", fields, "add:steps:delay")
    assert_hidden(page.text, URL_B)
    assert html(page.text).select_one("fieldset.step-slack_message .secret-mask").text == "••••BBBB"
    fields = [(n, v) for n, v in harvest(html(page.text)) if n != "steps-1-amount"]
    saved = await press(client, "/workflows/new", [*fields, ("steps-1-amount", "5")])
    assert saved.status_code in (302, 303), saved.text
    workflow_id = int(saved.headers["location"].rsplit("/", 1)[1])
    assert (await opened_steps(client, workflow_id))[0]["webhook_url"] == URL_B


async def test_secret_reference_from_another_workflow_does_not_resolve(
    client: AsyncTestClient,  # type: ignore[type-arg]
    api: dict[str, str],
) -> None:
    first = await stored_workflow(client, api, [slack(URL_A, "a")])
    second = await stored_workflow(client, api, [slack(URL_B, "b")])
    borrowed = dict(await edit_fields(client, f"/workflows/{first}/edit"))[
        "steps-0-keep-webhook_url"
    ]
    path = f"/workflows/{second}/edit"
    fields = [(n, v) for n, v in await edit_fields(client, path) if n != "steps-0-keep-webhook_url"]
    answer = await press(client, path, [*fields, ("steps-0-keep-webhook_url", borrowed)])
    assert answer.status_code == 400
    assert "type it again" in html(answer.text).select_one("#steps-0-config-webhook_url-error").text
    assert (await opened_steps(client, second))[0]["webhook_url"] == URL_B


async def test_chooser_offers_every_type_and_builds_paths_with_nested_steps(
    client: AsyncTestClient,  # type: ignore[type-arg]
    api: dict[str, str],
) -> None:
    page = html((await client.get("/workflows/new")).text)
    assert not page.select_one("form.editor").has_attr("data-unsaved")
    offered = [
        b["value"] for b in page.select("[data-step-list='steps'] > details.add-step button")
    ]
    assert sorted(offered) == sorted(
        f"add:steps:{t}"
        for t in (
            "http_request",
            "slack_message",
            "discord_message",
            "email",
            "filter",
            "paths",
            "delay",
            "formatter",
        )
    )
    assert all(li.select_one(".hint").text.strip() for li in page.select(".step-choices li"))

    answer = await press(client, "/workflows/new", harvest(page), "add:steps:paths")
    for action in (
        "add_branch:steps-1",
        "add_fallback:steps-1",
        "add_condition:steps-1-branches-1",
        "add:steps-1-fallback-steps:discord_message",
    ):
        answer = await press(client, "/workflows/new", harvest(html(answer.text)), action)
        assert answer.status_code == 200
    page = html(answer.text)
    assert page.select_one("form.editor").has_attr("data-unsaved"), "re-shown form is unsaved"
    assert [i["value"] for i in page.select("input[name$='-name'][name^='steps-1-branches']")] == [
        "Path A",
        "Path B",
    ]
    assert len(page.select("[data-condition^='steps-1-branches-1-conditions-']")) == 2
    assert (
        page.select_one("fieldset.step-discord_message")["data-step-prefix"]
        == "steps-1-fallback-steps-0"
    )
    nested = [
        b["value"]
        for b in page.select("[data-step-list='steps-1-fallback-steps'] > details button")
    ]
    assert "add:steps-1-fallback-steps:paths" not in nested, "paths inside paths are not offered"
    assert page.select_one("#steps-1-fallback-steps-0-name").has_attr("autofocus"), (
        "new card focused"
    )
