"""Loading the signed-in user's own objects by id: anyone else's, or none, answers 404.

Every page and API endpoint that takes a workflow, run or event id loads it here, so
the ownership check and the plain 404 message are the same everywhere.
"""

from __future__ import annotations

from litestar.exceptions import NotFoundException
from sqlmodel.ext.asyncio.session import AsyncSession

from app.store.history import get_user_event, get_user_run
from app.store.tables import Event, Run, User, Workflow
from app.store.workflows import get_user_workflow


async def owned_workflow(db: AsyncSession, user: User, workflow_id: int) -> Workflow:
    assert user.id is not None
    workflow = await get_user_workflow(db, user_id=user.id, workflow_id=workflow_id)
    if workflow is None:
        raise NotFoundException("There is no workflow with this id in your account.")
    return workflow


async def owned_run(db: AsyncSession, user: User, run_id: int) -> Run:
    assert user.id is not None
    run = await get_user_run(db, user_id=user.id, run_id=run_id)
    if run is None or run.id is None:
        raise NotFoundException("There is no run with this id in your account.")
    return run


async def owned_event(db: AsyncSession, user: User, event_id: int) -> Event:
    assert user.id is not None
    event = await get_user_event(db, user_id=user.id, event_id=event_id)
    if event is None:
        raise NotFoundException("There is no event with this id in your account.")
    return event
