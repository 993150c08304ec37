"""The failure streak behind auto-pause stays right when runs end at the same time.

Two transactions really overlap here: a failure's count is held uncommitted while a
success (or a second failure) is counted in another transaction, as happens when
several workers finish runs of one workflow at once (issue 6).
"""

from __future__ import annotations

import asyncio

import sqlalchemy as sa

from app.store.alerts import count_finished_run, pause_reason
from app.store.db import SessionFactory, transaction
from app.store.tables import Workflow
from tests.store.conftest import Owner


async def _count(sessions: SessionFactory, workflow_id: int, *, failed: bool, pause: int) -> bool:
    async with transaction(sessions) as session:
        return await count_finished_run(
            session, workflow_id=workflow_id, failed=failed, error="HTTP 500", pause_after=pause
        )


async def _waits_for_a_row_lock(sessions: SessionFactory) -> bool:
    async with transaction(sessions) as session:
        if session.get_bind().dialect.name != "postgresql":
            return True  # SQLite: one writer at a time, the later transaction always waits
        waiting = await session.exec(  # type: ignore[call-overload]
            sa.text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
        return bool(waiting.scalar_one())


async def _while_a_failure_is_uncommitted(
    sessions: SessionFactory, owner: Owner, *, then_failed: bool, pause: int
) -> bool:
    """Count a failure, and before it commits start counting another run; its result."""
    async with transaction(sessions) as failing:
        await count_finished_run(
            failing, workflow_id=owner.workflow_id, failed=True, error="HTTP 500", pause_after=pause
        )
        other = asyncio.create_task(
            _count(sessions, owner.workflow_id, failed=then_failed, pause=pause)
        )
        for _ in range(500):  # until the other run's UPDATE has read the row (or finished)
            if other.done() or await _waits_for_a_row_lock(sessions):
                break
            await asyncio.sleep(0.01)
    return await other


async def _streak(sessions: SessionFactory, workflow_id: int) -> tuple[int, bool]:
    async with transaction(sessions) as session:
        row = await session.get(Workflow, workflow_id)
        assert row is not None
        return row.failure_streak, row.enabled


async def test_a_success_ending_beside_an_uncommitted_failure_still_resets_the_streak(
    sessions: SessionFactory, alice: Owner
) -> None:
    await _count(sessions, alice.workflow_id, failed=True, pause=3)
    await _while_a_failure_is_uncommitted(sessions, alice, then_failed=False, pause=3)
    assert await _streak(sessions, alice.workflow_id) == (0, True)
    # Alternating failures and successes never make three failures in a row.
    for _ in range(3):
        await _while_a_failure_is_uncommitted(sessions, alice, then_failed=False, pause=3)
    assert await _streak(sessions, alice.workflow_id) == (0, True)


async def test_two_failures_ending_together_both_count_and_the_second_pauses(
    sessions: SessionFactory, alice: Owner
) -> None:
    paused = await _while_a_failure_is_uncommitted(sessions, alice, then_failed=True, pause=2)
    assert paused
    assert await _streak(sessions, alice.workflow_id) == (2, False)


def test_the_pause_reason_ends_each_sentence_once() -> None:
    reason = pause_reason(3, 'Unknown outcome: … mark the step "safe to send twice".')
    assert '"safe to send twice". Turn the workflow back on' in reason
    assert ".." not in reason
    assert pause_reason(1, "HTTP 503").startswith("Paused after 1 failed run in a row; last")
    assert pause_reason(1, "HTTP 503").endswith(
        "HTTP 503. Turn the workflow back on once the problem is fixed."
    )
