"""JSON API for what happened: a workflow's events and runs, one run, one event."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter
from sqlmodel.ext.asyncio.session import AsyncSession

from app.store.events import list_workflow_events
from app.store.history import get_user_run, list_run_attempts, list_workflow_runs
from app.store.tables import User
from app.web.controllers.api_workflows import owned_workflow
from app.web.presenters import event_out, run_detail_out, run_out
from app.web.schemas import EventOut, Page, RunDetailOut, RunOut

Before = QueryParameter(required=False, ge=1, description="Last id seen (keyset pagination).")
Limit = QueryParameter(required=False, ge=1, le=200, description="Page size.")


class HistoryApiController(Controller):
    path = "/api/v1"
    tags = ["history"]

    @get("/workflows/{workflow_id:int}/runs")
    async def workflow_runs(
        self,
        workflow_id: FromPath[int],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[User],
        before: Annotated[int | None, Before] = None,
        limit: Annotated[int, Limit] = 50,
    ) -> Page[RunOut]:
        """The workflow's runs, newest first."""
        workflow = await owned_workflow(db, user, workflow_id)
        assert workflow.id is not None
        runs = await list_workflow_runs(db, workflow_id=workflow.id, before_id=before, limit=limit)
        next_before = runs[-1].id if len(runs) == limit else None
        return Page[RunOut](items=[run_out(r) for r in runs], next_before=next_before)

    @get("/workflows/{workflow_id:int}/events")
    async def workflow_events(
        self,
        workflow_id: FromPath[int],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[User],
        before: Annotated[int | None, Before] = None,
        limit: Annotated[int, Limit] = 50,
    ) -> Page[EventOut]:
        """The requests the workflow's URL received, newest first (including rejected ones)."""
        workflow = await owned_workflow(db, user, workflow_id)
        assert workflow.id is not None
        events = await list_workflow_events(
            db, workflow_id=workflow.id, before_id=before, limit=limit
        )
        next_before = events[-1].id if len(events) == limit else None
        return Page[EventOut](items=[event_out(e) for e in events], next_before=next_before)

    @get("/runs/{run_id:int}")
    async def run_detail(
        self, run_id: FromPath[int], db: NamedDependency[AsyncSession], user: NamedDependency[User]
    ) -> RunDetailOut:
        """One run with every step attempt: what was sent, what came back, errors, warnings."""
        assert user.id is not None
        run = await get_user_run(db, user_id=user.id, run_id=run_id)
        if run is None or run.id is None:
            raise NotFoundException("There is no run with this id in your account.")
        return run_detail_out(run, await list_run_attempts(db, run_id=run.id))
