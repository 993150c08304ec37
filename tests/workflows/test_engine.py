"""The run state machine: what happens after each step, paths splicing, delay scheduling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from app.workflows.definition import StepDefinition, WorkflowDefinition
from app.workflows.engine import (
    Decision,
    FlowChange,
    continued_plan,
    decide_after_step,
    not_before,
    schedule_wake,
)

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
LEASE = timedelta(minutes=2)
BRANCH = ({"type": "slack_message", "config": {}}, {"type": "email", "config": {}})


@pytest.mark.parametrize(
    ("outcome", "step_index", "plan_length", "flow", "expected"),
    [
        ("succeeded", 0, 2, None, Decision("running", 1)),
        ("succeeded", 1, 2, None, Decision("succeeded", None)),
        ("failed", 0, 2, None, Decision("failed", None)),
        ("filtered", 0, 3, None, Decision("filtered", None)),
        ("filtered", 1, 2, FlowChange(insert_steps=BRANCH), Decision("filtered", None)),
        ("succeeded", 1, 2, FlowChange(insert_steps=BRANCH), Decision("running", 2, BRANCH)),
        ("succeeded", 1, 2, FlowChange(insert_steps=()), Decision("succeeded", None)),
        ("succeeded", 0, 2, FlowChange(wake_at=NOW), Decision("running", 1, (), NOW)),
        ("succeeded", 1, 2, FlowChange(wake_at=NOW), Decision("succeeded", None)),
    ],
)
def test_decision_after_step(
    outcome: str, step_index: int, plan_length: int, flow: FlowChange | None, expected: Decision
) -> None:
    decision = decide_after_step(
        outcome=outcome, step_index=step_index, plan_length=plan_length, flow=flow
    )

    assert decision == expected


def test_chosen_path_steps_are_spliced_after_the_paths_step() -> None:
    plan = [{"type": "filter"}, {"type": "paths"}]
    decision = decide_after_step(
        outcome="succeeded", step_index=1, plan_length=2, flow=FlowChange(insert_steps=BRANCH)
    )

    new_plan = continued_plan(plan, decision)

    assert [step["type"] for step in new_plan] == ["filter", "paths", "slack_message", "email"]
    assert decision.next_step == 2


def test_nested_paths_splice_inside_a_branch() -> None:
    plan = [{"type": "paths"}, {"type": "paths"}]
    decision = decide_after_step(
        outcome="succeeded", step_index=1, plan_length=2, flow=FlowChange(insert_steps=BRANCH[:1])
    )

    assert [s["type"] for s in continued_plan(plan, decision)] == [
        "paths",
        "paths",
        "slack_message",
    ]


def test_delay_marks_the_next_step_not_before_the_wake_time() -> None:
    plan = [{"type": "delay"}, {"type": "email", "config": {}}]
    wake = NOW + timedelta(hours=3)
    decision = decide_after_step(
        outcome="succeeded", step_index=0, plan_length=2, flow=FlowChange(wake_at=wake)
    )

    new_plan = continued_plan(plan, decision)

    assert not_before(new_plan[1]) == wake
    assert not_before(new_plan[0]) is None
    assert "not_before" not in plan[1]  # the old plan is left untouched


@pytest.mark.parametrize(
    ("wake_at", "lease_until", "delay_ms"),
    [
        (None, NOW + LEASE, 0),
        (NOW - timedelta(seconds=5), NOW + LEASE, 0),
        (NOW + timedelta(seconds=30), NOW + timedelta(seconds=30) + LEASE, 30_000),
        (NOW + timedelta(minutes=15), NOW + timedelta(minutes=15) + LEASE, 900_000),
        (NOW + timedelta(minutes=16), NOW + timedelta(minutes=16), None),
        (NOW + timedelta(days=30), NOW + timedelta(days=30), None),
    ],
)
def test_wake_schedule_uses_broker_for_short_waits_and_sweeper_for_long(
    wake_at: datetime | None, lease_until: datetime, delay_ms: int | None
) -> None:
    schedule = schedule_wake(wake_at=wake_at, now=NOW, lease=LEASE)

    assert (schedule.lease_until, schedule.enqueue_delay_ms) == (lease_until, delay_ms)


@pytest.mark.parametrize(
    ("types", "allowed"),
    [
        (["http_request", "paths"], True),
        (["paths"], True),
        (["paths", "http_request"], False),
        (["filter", "paths", "email"], False),
    ],
)
def test_paths_step_must_be_last(types: list[str], allowed: bool) -> None:
    steps = [StepDefinition(type=name) for name in types]

    if allowed:
        WorkflowDefinition(name="w", steps=steps)
    else:
        with pytest.raises(ValidationError, match="paths step must be the last step"):
            WorkflowDefinition(name="w", steps=steps)


def test_disabled_steps_after_paths_are_allowed() -> None:
    steps = [StepDefinition(type="paths"), StepDefinition(type="email", enabled=False)]

    WorkflowDefinition(name="w", steps=steps)
