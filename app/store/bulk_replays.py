"""Bulk replay: a workflow's failed runs of a time range, replayed in original order.

The order is real, not just the order of enqueueing: item N+1's run is created only
once item N's run has finished. All state is in the database (`bulk_replay`,
`bulk_replay_item`), so a crash loses nothing: whoever notices a finished run advances
the queue — the worker right after a run ends, and the sweeper on every pass (which
also covers runs that end while being claimed). The batch row is locked while it
advances, so two advancers never start two items.

Chosen: one replay per EVENT, for events whose latest run failed (an event already
replayed successfully is not sent again); events are taken oldest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import aliased
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.store.event_data import ReplayRefused
from app.store.events import start_run_for_event
from app.store.tables import (
    TERMINAL_RUN_STATUSES,
    BulkReplay,
    BulkReplayItem,
    Event,
    Run,
    Workflow,
    utcnow,
)
from app.store.workflows import list_workflow_steps, step_definitions
from app.workflows.definition import plan_from_steps
from app.workflows.moments import utc_moment

MAX_BULK_REPLAY = 500


@dataclass(frozen=True)
class BulkReplayView:
    replay: BulkReplay
    items: list[BulkReplayItem]

    @property
    def done(self) -> int:
        return sum(item.status in ("done", "skipped") for item in self.items)


def _replayable_runs(workflow_id: int, range_from: datetime, range_to: datetime):  # type: ignore[no-untyped-def]
    later = aliased(Run)
    newer_run_of_same_event = (
        select(later.id)
        .where(col(later.event_id) == col(Run.event_id), col(later.id) > col(Run.id))
        .exists()
    )
    return (
        select(Run.id, Run.event_id)
        .join(Event, col(Event.id) == col(Run.event_id))
        .where(Run.workflow_id == workflow_id, Run.status == "failed")
        .where(col(Run.created_at) >= range_from, col(Run.created_at) < range_to)
        .where(col(Event.data_deleted_at).is_(None))
        .where(~newer_run_of_same_event)
    )


async def create_bulk_replay(
    session: AsyncSession,
    *,
    workflow_id: int,
    range_from: datetime,
    range_to: datetime,
    lease: timedelta,
) -> tuple[BulkReplay, list[int]]:
    """Queue the range's failed runs and start the first; returns the batch and run ids."""
    await session.get(Workflow, workflow_id, with_for_update=True)  # one creator at a time
    if await open_bulk_replay(session, workflow_id=workflow_id) is not None:
        raise ReplayRefused(
            "A bulk replay of this workflow is still going. Wait for it to finish first."
        )
    selection = _replayable_runs(workflow_id, range_from, range_to).subquery()
    count = (await session.exec(select(func.count()).select_from(selection))).one()
    span = f"between {utc_moment(range_from)} and {utc_moment(range_to)} UTC"
    if count == 0:
        raise ReplayRefused(f"There are no failed runs to replay {span}.")
    if count > MAX_BULK_REPLAY:
        raise ReplayRefused(
            f"There are {count} failed runs {span}; at most {MAX_BULK_REPLAY} can be "
            "replayed at once. Choose a shorter time range."
        )
    query = _replayable_runs(workflow_id, range_from, range_to).order_by(col(Run.event_id))
    rows = (await session.exec(query)).all()
    replay = BulkReplay(
        workflow_id=workflow_id, range_from=range_from, range_to=range_to, total=len(rows)
    )
    session.add(replay)
    await session.flush()
    assert replay.id is not None
    for position, (run_id, event_id) in enumerate(rows):
        assert run_id is not None and event_id is not None
        session.add(
            BulkReplayItem(
                bulk_replay_id=replay.id, position=position, event_id=event_id, source_run_id=run_id
            )
        )
    await session.flush()
    return replay, await advance_bulk_replay(session, bulk_replay_id=replay.id, lease=lease)


async def open_bulk_replay(session: AsyncSession, *, workflow_id: int) -> BulkReplay | None:
    query = select(BulkReplay).where(
        BulkReplay.workflow_id == workflow_id, col(BulkReplay.finished_at).is_(None)
    )
    return (await session.exec(query)).first()


async def advance_bulk_replay(
    session: AsyncSession, *, bulk_replay_id: int, lease: timedelta
) -> list[int]:
    """Start the next item when the current one's run has finished; returns new run ids."""
    replay = await session.get(
        BulkReplay, bulk_replay_id, with_for_update=True, populate_existing=True
    )
    if replay is None or replay.finished_at is not None:
        return []
    items = await _items(session, bulk_replay_id)
    running = next((item for item in items if item.status == "running"), None)
    if running is not None:
        run = await session.get(Run, running.run_id) if running.run_id is not None else None
        if run is not None and run.status not in TERMINAL_RUN_STATUSES:
            return []
        running.status = "done"
        running.note = f"Run {run.status}." if run is not None else "The run was removed."
        session.add(running)
    for item in items:
        if item.status != "waiting":
            continue
        event = await session.get(Event, item.event_id)
        if event is None or event.data_deleted_at is not None:
            item.status, item.note = "skipped", "The event's data was deleted."
            session.add(item)
            continue
        plan = plan_from_steps(
            step_definitions(await list_workflow_steps(session, workflow_id=replay.workflow_id))
        )
        item.run_id = await start_run_for_event(
            session, workflow_id=replay.workflow_id, event_id=item.event_id, plan=plan, lease=lease
        )
        item.status = "running"
        session.add(item)
        return [item.run_id]
    replay.finished_at = utcnow()
    session.add(replay)
    return []


async def advance_after_run(session: AsyncSession, *, run_id: int, lease: timedelta) -> list[int]:
    """A run just finished: if it belongs to a bulk replay, start the replay's next item."""
    query = select(BulkReplayItem.bulk_replay_id).where(
        BulkReplayItem.run_id == run_id, BulkReplayItem.status == "running"
    )
    bulk_replay_id = (await session.exec(query)).first()
    if bulk_replay_id is None:
        return []
    return await advance_bulk_replay(session, bulk_replay_id=bulk_replay_id, lease=lease)


async def advance_open_bulk_replays(
    session: AsyncSession, *, lease: timedelta, limit: int = 100
) -> list[int]:
    """The sweeper's pass: advance every unfinished bulk replay whose current run ended."""
    query = (
        select(BulkReplay.id)
        .where(col(BulkReplay.finished_at).is_(None))
        .order_by(col(BulkReplay.id))
        .limit(limit)
    )
    started: list[int] = []
    for bulk_replay_id in (await session.exec(query)).all():
        assert bulk_replay_id is not None
        started += await advance_bulk_replay(session, bulk_replay_id=bulk_replay_id, lease=lease)
    return started


async def _items(session: AsyncSession, bulk_replay_id: int) -> list[BulkReplayItem]:
    query = (
        select(BulkReplayItem)
        .where(BulkReplayItem.bulk_replay_id == bulk_replay_id)
        .order_by(col(BulkReplayItem.position))
    )
    return list((await session.exec(query)).all())


async def get_user_bulk_replay(
    session: AsyncSession, *, user_id: int, bulk_replay_id: int
) -> BulkReplayView | None:
    """The bulk replay with its items if its workflow is the user's; None otherwise."""
    query = (
        select(BulkReplay)
        .join(Workflow, col(Workflow.id) == col(BulkReplay.workflow_id))
        .where(BulkReplay.id == bulk_replay_id, Workflow.user_id == user_id)
    )
    replay = (await session.exec(query)).first()
    if replay is None or replay.id is None:
        return None
    return BulkReplayView(replay, await _items(session, replay.id))
