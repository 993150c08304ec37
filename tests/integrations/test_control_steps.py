"""Filter, paths, delay and formatter steps as the worker runs them (no network needed)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from app.integrations.base import ActionContext, ActionResult
from app.integrations.registry import get_action
from app.integrations.validation import validate_step
from app.workflows.definition import StepDefinition
from tests.integrations.conftest import LOOPBACK_ALLOWED

DATA = {
    "trigger": {
        "body": {
            "type": "payment_intent.succeeded",
            "amount": 2000,
            "when": "2999-01-01T09:00:00",
            "past": "2001-01-01T00:00:00Z",
            "price": "1.234,5",
        }
    },
    "steps": [],
}
SLACK = {
    "type": "slack_message",
    "config": {"webhook_url": "https://hooks.example/x", "text": "big"},
}
EMAIL_STEP = {"type": "http_request", "config": {"url": "https://api.example.com/small"}}


@pytest.fixture
async def context() -> AsyncIterator[ActionContext]:
    async with httpx.AsyncClient() as client:
        yield ActionContext(DATA, client, LOOPBACK_ALLOWED, "warn")


async def run(ctx: ActionContext, type_name: str, config: dict[str, Any]) -> ActionResult:
    action = get_action(type_name)
    return await action.execute(action.parse_config(config), ctx)


def over(amount: int) -> dict[str, Any]:
    return {"field": "{{ trigger.body.amount }}", "operator": "greater_than", "value": str(amount)}


async def test_filter_that_holds_lets_the_run_continue(context: ActionContext) -> None:
    result = await run(context, "filter", {"conditions": [over(1000)]})

    assert result.outcome == "succeeded"
    assert result.output["filter"]["passed"] is True


async def test_filter_that_fails_stops_the_run_as_filtered_and_says_why(
    context: ActionContext,
) -> None:
    result = await run(context, "filter", {"match": "any", "conditions": [over(5000), over(9000)]})

    assert result.outcome == "filtered"
    assert result.error is None
    assert result.output["filter"]["summary"].startswith("Conditions not met: 2000 not")


async def test_paths_picks_first_matching_branch_and_hands_its_steps_to_the_engine(
    context: ActionContext,
) -> None:
    config = {
        "branches": [
            {"name": "Huge", "conditions": [over(10_000)], "steps": [EMAIL_STEP]},
            {
                "name": "Big",
                "conditions": [over(1000)],
                "steps": [SLACK, {**EMAIL_STEP, "enabled": False}],
            },
            {"name": "Also big", "conditions": [over(500)], "steps": [EMAIL_STEP]},
        ],
        "fallback": {"steps": [EMAIL_STEP]},
    }

    result = await run(context, "paths", config)

    assert result.outcome == "succeeded"
    assert result.output["path"] == {
        "branch": "Big",
        "index": 1,
        "fallback": False,
        "steps": 1,
        "summary": 'Took the path "Big" (1 step(s))',
    }
    assert result.flow is not None
    assert [step["type"] for step in result.flow.insert_steps] == ["slack_message"]


async def test_paths_falls_back_or_stops_as_filtered(context: ActionContext) -> None:
    branch = {"name": "Huge", "conditions": [over(10_000)], "steps": [SLACK]}

    fallback = await run(
        context, "paths", {"branches": [branch], "fallback": {"steps": [EMAIL_STEP]}}
    )
    nothing = await run(context, "paths", {"branches": [branch]})

    assert fallback.output["path"]["fallback"] is True
    assert [s["type"] for s in fallback.flow.insert_steps] == ["http_request"]
    assert nothing.outcome == "filtered"
    assert nothing.output["path"]["branch"] is None


def test_paths_validation_reaches_into_branch_steps() -> None:
    bad_step = {"type": "http_request", "config": {"url": "ftp://nope"}}
    config = {
        "branches": [
            {
                "name": "A",
                "conditions": [{"field": "{{ x", "operator": "exists"}],
                "steps": [bad_step],
            }
        ]
    }

    problems = validate_step(StepDefinition(type="paths", config=config))

    assert set(problems) == {
        "config.branches.0.conditions.0.field",
        "config.branches.0.steps.0.config.url",
    }


async def test_delay_for_a_duration_asks_the_engine_to_wait(context: ActionContext) -> None:
    before = datetime.now(UTC)

    result = await run(context, "delay", {"mode": "for", "amount": 2, "unit": "hours"})

    assert result.outcome == "succeeded"
    assert result.flow is not None and result.flow.wake_at is not None
    assert (
        before + timedelta(hours=2) <= result.flow.wake_at <= datetime.now(UTC) + timedelta(hours=2)
    )
    assert result.output["delay"]["waited"] is True


async def test_delay_until_a_date_in_the_past_continues_at_once(context: ActionContext) -> None:
    result = await run(context, "delay", {"mode": "until", "until": "{{ trigger.body.past }}"})

    assert result.outcome == "succeeded"
    assert result.flow is None
    assert result.output["delay"]["waited"] is False


async def test_delay_until_more_than_31_days_away_fails(context: ActionContext) -> None:
    config = {"mode": "until", "until": "{{ trigger.body.when }}", "timezone": "Europe/Paris"}

    result = await run(context, "delay", config)

    assert result.outcome == "failed"
    assert "more than 31 days away" in result.error
    assert "2999-01-01T09:00:00+01:00" in result.error


async def test_formatter_output_is_available_as_value(context: ActionContext) -> None:
    config = {"operation": "number_parse", "input": "{{ trigger.body.price }}", "decimal_mark": ","}

    result = await run(context, "formatter", config)

    assert result.outcome == "succeeded"
    assert result.output == {"value": Decimal("1234.5")}


async def test_formatter_failure_names_the_operation(context: ActionContext) -> None:
    config = {"operation": "date_parse", "input": "{{ trigger.body.type }}"}

    result = await run(context, "formatter", config)

    assert result.outcome == "failed"
    assert result.error.startswith("date_parse: 'payment_intent.succeeded' is not a date")
