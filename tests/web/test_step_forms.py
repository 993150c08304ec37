"""Every step type built in the page editor: stored config -> page -> saved again, unchanged.

The round trip goes through the real HTML: the edit page is read like a browser reads it
(tests/web/editor_support.py), submitted, and the API's JSON and the opened stored
secrets must come back exactly as they were.
"""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from app.integrations.registry import get_action
from tests.web.editor_support import harvest, html, opened_steps, press, signed_in_with_token

SLACK_URL = "https://hooks.slack.com/services/T000/B000/slacksecret1234"
DISCORD_URL = "https://discord.com/api/webhooks/1/discordsecret5678"
SMTP_PASSWORD = "smtp-password-9911"
TOKEN = "bearer-token-abcdef-4321"

CONFIGS: dict[str, dict[str, Any]] = {
    "http_request": {
        "method": "PUT",
        "url": "https://api.example.com/orders/{{ trigger.body.id }}",
        "query": {"page": "2", "who": "{{ trigger.body.user }}"},
        "headers": {"Content-Type": "application/json", "Authorization": "Token sekrit-1234567"},
        "body_mode": "json",
        "body": '{"amount": {{ trigger.body.amount }}}',
        "auth": "bearer",
        "token": TOKEN,
        "repeat_safe": True,
        "strict_templates": True,
        "timeout_seconds": 12.5,
    },
    "slack_message": {
        "webhook_url": SLACK_URL,
        "text": "Paid {{ trigger.body.data.object.amount }}",
        "blocks": '[{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]',
    },
    "discord_message": {"webhook_url": DISCORD_URL, "content": "New: {{ trigger.body.x }}"},
    "email": {
        "host": "smtp.example.com",
        "port": 465,
        "tls": "ssl",
        "username": "shop",
        "password": SMTP_PASSWORD,
        "from_address": "Shop <shop@example.com>",
        "to": "{{ trigger.body.email }}",
        "cc": "boss@example.com",
        "subject": "Order {{ trigger.body.id }}",
        "text_body": "Thanks!",
        "html_body": "<p>Thanks!</p>",
    },
    "filter": {
        "match": "any",
        "conditions": [
            {"field": "{{ trigger.body.type }}", "operator": "equals", "value": "paid"},
            {"field": "{{ trigger.body.note }}", "operator": "exists", "ignore_case": False},
            {"field": "{{ trigger.body.sku }}", "operator": "matches_regex", "value": "^A\\d+$"},
        ],
    },
    "delay": {"mode": "until", "until": "{{ trigger.body.when }}", "timezone": "Europe/Paris"},
    "formatter": {
        "input": "{{ trigger.body.amount }}",
        "operation": "number_format",
        "decimals": 0,
        "thousands": "",
        "decimal_mark": ",",
    },
    "paths": {
        "branches": [
            {
                "name": "Big",
                "match": "all",
                "conditions": [
                    {
                        "field": "{{ trigger.body.amount }}",
                        "operator": "greater_than",
                        "value": "1000",
                    }
                ],
                "steps": [
                    {"type": "slack_message", "config": {"webhook_url": SLACK_URL, "text": "big"}},
                    {"type": "delay", "enabled": False, "config": {"amount": 5, "unit": "hours"}},
                ],
            },
            {
                "name": "Small",
                "conditions": [{"field": "{{ trigger.body.amount }}", "operator": "exists"}],
            },
        ],
        "fallback": {
            "name": "Otherwise",
            "steps": [
                {"type": "discord_message", "config": {"webhook_url": DISCORD_URL, "content": "x"}}
            ],
        },
    },
}
SECRETS = (SLACK_URL, DISCORD_URL, SMTP_PASSWORD, TOKEN, "sekrit-1234567")


@pytest.fixture
async def api(client: AsyncTestClient) -> dict[str, str]:  # type: ignore[type-arg]
    return await signed_in_with_token(client, "builder@example.com")


async def create(
    client: AsyncTestClient, api: dict[str, str], steps: list[dict[str, Any]]
) -> dict[str, Any]:  # type: ignore[type-arg]
    answer = await client.post(
        "/api/v1/workflows", json={"name": "Built", "steps": steps}, headers=api
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


@pytest.mark.parametrize("step_type", sorted(CONFIGS))
async def test_step_form_round_trip_keeps_every_setting_and_secret(
    client: AsyncTestClient,  # type: ignore[type-arg]
    api: dict[str, str],
    step_type: str,
) -> None:
    step = {"type": step_type, "name": f"My {step_type}", "config": CONFIGS[step_type]}
    workflow = await create(client, api, [step, {**step, "enabled": False}])
    before_opened = await opened_steps(client, workflow["id"])
    edit_path = f"/workflows/{workflow['id']}/edit"

    page = await client.get(edit_path)
    assert page.status_code == 200
    assert not any(secret in page.text for secret in SECRETS), "a secret was shown"
    assert "hookline-sealed" not in page.text
    card = html(page.text).select_one("fieldset.step")
    assert card is not None and card["data-step-type"] == step_type

    saved = await press(client, edit_path, harvest(html(page.text)))
    assert saved.status_code in (302, 303), saved.text
    after = (await client.get(f"/api/v1/workflows/{workflow['id']}", headers=api)).json()
    assert [shape(s) for s in after["steps"]] == [shape(s) for s in workflow["steps"]]
    opened = await opened_steps(client, workflow["id"])
    assert [normalized(step_type, c) for c in opened] == [
        normalized(step_type, c) for c in before_opened
    ]


def shape(step: dict[str, Any]) -> tuple[Any, ...]:
    return step["type"], step["name"], step["enabled"]


def normalized(step_type: str, config: dict[str, Any]) -> Any:
    """A config as its model reads it (defaults filled in), nested steps too."""
    dumped = get_action(step_type).parse_config(config).model_dump()
    if step_type == "paths":
        branches = dumped["branches"] + ([dumped["fallback"]] if dumped["fallback"] else [])
        for branch in branches:
            branch["steps"] = [
                {**s, "config": normalized(s["type"], s["config"])} for s in branch["steps"]
            ]
    return dumped
