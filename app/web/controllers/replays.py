"""Running stored events again, from pages and the API: held events, replaying a run from
the start, and retrying a failed run from its failed step (the same run, a new attempt).
A refusal (not failed, data deleted, workflow changed) answers 409 with the reason.

The new runs are enqueued only once the request's transaction has committed (a worker
must find them), through a one-shot `after_commit` hook on the request's session.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Controller, post
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.response import Redirect
from sqlalchemy import event
from sqlmodel.ext.asyncio.session import AsyncSession

from app.settings import Settings
from app.store.event_data import ReplayRefused
from app.store.replays import replay_run, run_held_events
from app.store.step_retries import retry_from_failed_step
from app.store.tables import User
from app.store.workflows import list_workflow_steps, step_definitions
from app.web.owned import owned_run, owned_workflow
from app.web.params import ObjectId
from app.worker.broker import Dispatcher
from app.workflows.definition import plan_from_steps


async def _current_plan(db: AsyncSession, workflow_id: int) -> list[dict[str, Any]]:
    steps = await list_workflow_steps(db, workflow_id=workflow_id)
    return plan_from_steps(step_definitions(steps))


def enqueue_after_commit(db: AsyncSession, dispatcher: Dispatcher, run_ids: list[int]) -> None:
    """Enqueue the runs when (and only if) this session's transaction commits."""

    def send(_session: Any) -> None:
        for run_id in run_ids:
            dispatcher.try_run_step(run_id)

    event.listen(db.sync_session, "after_commit", send, once=True)


async def start_held(
    db: AsyncSession, user: User, settings: Settings, dispatcher: Dispatcher, workflow_id: int
) -> list[int]:
    await owned_workflow(db, user, workflow_id)
    lease = timedelta(seconds=settings.broker.lease_seconds)
    plan = await _current_plan(db, workflow_id)
    run_ids = await run_held_events(db, workflow_id=workflow_id, plan=plan, lease=lease)
    enqueue_after_commit(db, dispatcher, run_ids)
    return run_ids


async def start_replay(
    db: AsyncSession, user: User, settings: Settings, dispatcher: Dispatcher, run_id: int
) -> list[int]:
    run = await owned_run(db, user, run_id)
    lease = timedelta(seconds=settings.broker.lease_seconds)
    plan = await _current_plan(db, run.workflow_id)
    try:
        new_id = await replay_run(db, run=run, plan=plan, lease=lease)
    except ReplayRefused as exc:
        raise Conflict(str(exc)) from exc
    run_ids = [new_id] if new_id is not None else []
    enqueue_after_commit(db, dispatcher, run_ids)
    return run_ids


class Conflict(HTTPException):
    """The object is in a state that does not allow this; the detail says why."""

    status_code = 409


async def start_retry(
    db: AsyncSession, user: User, settings: Settings, dispatcher: Dispatcher, run_id: int
) -> int:
    run = await owned_run(db, user, run_id)
    assert run.id is not None
    lease = timedelta(seconds=settings.broker.lease_seconds)
    plan = await _current_plan(db, run.workflow_id)
    try:
        await retry_from_failed_step(db, run_id=run.id, current_plan=plan, lease=lease)
    except ReplayRefused as exc:
        raise Conflict(str(exc)) from exc
    enqueue_after_commit(db, dispatcher, [run.id])
    return run.id


class ReplayPagesController(Controller):
    path = "/"

    @post("/workflows/{workflow_id:int}/run-held")
    async def run_held_page(
        self,
        workflow_id: ObjectId,
        db: NamedDependency[AsyncSession],
        user: NamedDependency[User],
        settings: NamedDependency[Settings],
        dispatcher: NamedDependency[Dispatcher],
    ) -> Redirect:
        await start_held(db, user, settings, dispatcher, workflow_id)
        return Redirect(path=f"/workflows/{workflow_id}")

    @post("/runs/{run_id:int}/replay")
    async def replay_page(
        self,
        run_id: ObjectId,
        db: NamedDependency[AsyncSession],
        user: NamedDependency[User],
        settings: NamedDependency[Settings],
        dispatcher: NamedDependency[Dispatcher],
    ) -> Redirect:
        started = await start_replay(db, user, settings, dispatcher, run_id)
        return Redirect(path=f"/runs/{started[0] if started else run_id}")

    @post("/runs/{run_id:int}/retry")
    async def retry_page(
        self,
        run_id: ObjectId,
        db: NamedDependency[AsyncSession],
        user: NamedDependency[User],
        settings: NamedDependency[Settings],
        dispatcher: NamedDependency[Dispatcher],
    ) -> Redirect:
        await start_retry(db, user, settings, dispatcher, run_id)
        return Redirect(path=f"/runs/{run_id}")


class ReplayApiController(Controller):
    path = "/api/v1"
    tags = ["runs"]

    @post("/workflows/{workflow_id:int}/run-held")
    async def run_held_api(
        self,
        workflow_id: ObjectId,
        db: NamedDependency[AsyncSession],
        user: NamedDependency[User],
        settings: NamedDependency[Settings],
        dispatcher: NamedDependency[Dispatcher],
    ) -> dict[str, list[int]]:
        """Run every held event of the workflow, oldest first, with its current steps."""
        return {"run_ids": await start_held(db, user, settings, dispatcher, workflow_id)}

    @post("/runs/{run_id:int}/replay")
    async def replay_api(
        self,
        run_id: ObjectId,
        db: NamedDependency[AsyncSession],
        user: NamedDependency[User],
        settings: NamedDependency[Settings],
        dispatcher: NamedDependency[Dispatcher],
    ) -> dict[str, list[int]]:
        """Run this run's event again from the start with the workflow's current steps."""
        return {"run_ids": await start_replay(db, user, settings, dispatcher, run_id)}

    @post("/runs/{run_id:int}/retry")
    async def retry_api(
        self,
        run_id: ObjectId,
        db: NamedDependency[AsyncSession],
        user: NamedDependency[User],
        settings: NamedDependency[Settings],
        dispatcher: NamedDependency[Dispatcher],
    ) -> dict[str, list[int]]:
        """Resume a failed run at its failed step (same run, new attempt, current config
        for that step; earlier steps' outputs kept). 409 when the run has not failed."""
        return {"run_ids": [await start_retry(db, user, settings, dispatcher, run_id)]}
