"""Bulk replay from the workflow page and the API: every failed run of a time range (UTC),
replayed one after another in original order, with a progress page that polls itself.

At most `MAX_BULK_REPLAY` runs per request; a larger range gets a plain 409 asking for a
shorter one. Other users' workflows and bulk replays answer 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import JSONBody
from litestar.response import Redirect, Template
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel.ext.asyncio.session import AsyncSession

from app.settings import Settings
from app.store.bulk_replays import BulkReplayView, create_bulk_replay, get_user_bulk_replay
from app.store.event_data import ReplayRefused
from app.store.tables import User, Workflow
from app.web.controllers.replays import Conflict, enqueue_after_commit
from app.web.errors import InvalidInput
from app.web.owned import owned_workflow
from app.web.params import ObjectId
from app.worker.broker import Dispatcher


class BulkReplayRequest(BaseModel):
    """A time range in UTC (times without a zone are taken as UTC); `from` ≤ run < `to`."""

    model_config = ConfigDict(populate_by_name=True)

    range_from: datetime | None = Field(
        default=None, alias="from", examples=["2026-12-01T00:00:00Z"]
    )
    range_to: datetime | None = Field(default=None, alias="to", examples=["2026-12-02T00:00:00Z"])


class BulkReplayItemOut(BaseModel):
    position: int
    event_id: int
    source_run_id: int
    run_id: int | None
    status: str
    note: str | None


class BulkReplayOut(BaseModel):
    id: int
    workflow_id: int
    range_from: datetime
    range_to: datetime
    total: int
    done: int
    created_at: datetime
    finished_at: datetime | None
    items: list[BulkReplayItemOut]


def bulk_replay_out(view: BulkReplayView) -> BulkReplayOut:
    replay = view.replay
    assert replay.id is not None
    return BulkReplayOut(
        id=replay.id,
        workflow_id=replay.workflow_id,
        range_from=replay.range_from,
        range_to=replay.range_to,
        total=replay.total,
        done=view.done,
        created_at=replay.created_at,
        finished_at=replay.finished_at,
        items=[BulkReplayItemOut.model_validate(item, from_attributes=True) for item in view.items],
    )


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_form_time(raw: str, field: str) -> datetime | None:
    if not raw.strip():
        return None
    try:
        return _utc(datetime.fromisoformat(raw.strip()))
    except ValueError:
        raise InvalidInput(
            {field: "Enter a date and time (UTC), for example 2026-12-03 14:00."}
        ) from None


async def start_bulk_replay(
    db: AsyncSession,
    user: User,
    settings: Settings,
    dispatcher: Dispatcher,
    workflow_id: int,
    range_from: datetime | None,
    range_to: datetime | None,
) -> int:
    workflow = await owned_workflow(db, user, workflow_id)  # 404 before any other answer
    assert workflow.id is not None
    if range_from is None or range_to is None:
        missing = "from" if range_from is None else "to"
        raise InvalidInput({missing: "Give both ends of the time range (UTC)."})
    range_from, range_to = _utc(range_from), _utc(range_to)
    if range_to <= range_from:
        raise InvalidInput({"to": "The end of the time range must be after its start."})
    lease = timedelta(seconds=settings.broker.lease_seconds)
    try:
        replay, run_ids = await create_bulk_replay(
            db, workflow_id=workflow.id, range_from=range_from, range_to=range_to, lease=lease
        )
    except ReplayRefused as exc:
        raise Conflict(str(exc)) from exc
    enqueue_after_commit(db, dispatcher, run_ids)
    assert replay.id is not None
    return replay.id


async def owned_bulk_replay(db: AsyncSession, user: User, bulk_replay_id: int) -> BulkReplayView:
    assert user.id is not None
    view = await get_user_bulk_replay(db, user_id=user.id, bulk_replay_id=bulk_replay_id)
    if view is None:
        raise NotFoundException("There is no bulk replay with this id in your account.")
    return view


@dataclass
class BulkReplayPage:
    view: BulkReplayView
    workflow: Workflow
    finished: bool


async def _page(db: AsyncSession, user: User, bulk_replay_id: int) -> BulkReplayPage:
    view = await owned_bulk_replay(db, user, bulk_replay_id)
    workflow = await db.get(Workflow, view.replay.workflow_id)
    assert workflow is not None
    return BulkReplayPage(view, workflow, finished=view.replay.finished_at is not None)


class BulkReplayPagesController(Controller):
    path = "/"

    @post("/workflows/{workflow_id:int}/bulk-replay")
    async def create_page(
        self,
        workflow_id: ObjectId,
        request: Request[Any, Any, Any],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[User],
        settings: NamedDependency[Settings],
        dispatcher: NamedDependency[Dispatcher],
    ) -> Redirect:
        await owned_workflow(db, user, workflow_id)
        form = await request.form()
        range_from = parse_form_time(str(form.get("from", "")), "from")
        range_to = parse_form_time(str(form.get("to", "")), "to")
        replay_id = await start_bulk_replay(
            db, user, settings, dispatcher, workflow_id, range_from, range_to
        )
        return Redirect(path=f"/bulk-replays/{replay_id}")

    @get("/bulk-replays/{bulk_replay_id:int}")
    async def progress_page(
        self,
        bulk_replay_id: ObjectId,
        db: NamedDependency[AsyncSession],
        user: NamedDependency[User],
    ) -> Template:
        page = await _page(db, user, bulk_replay_id)
        return Template("runs/bulk_replay.html", context={"page": page, "user": user})

    @get("/bulk-replays/{bulk_replay_id:int}/status")
    async def progress_block(
        self,
        bulk_replay_id: ObjectId,
        db: NamedDependency[AsyncSession],
        user: NamedDependency[User],
    ) -> Template:
        page = await _page(db, user, bulk_replay_id)
        return Template("runs/_bulk_replay_status.html", context={"page": page})


class BulkReplayApiController(Controller):
    path = "/api/v1"
    tags = ["runs"]

    @post("/workflows/{workflow_id:int}/bulk-replay")
    async def create_api(
        self,
        workflow_id: ObjectId,
        data: JSONBody[BulkReplayRequest],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[User],
        settings: NamedDependency[Settings],
        dispatcher: NamedDependency[Dispatcher],
    ) -> BulkReplayOut:
        """Replay every failed run created in [from, to) (UTC), oldest event first, each
        starting only after the previous one finished. One replay per event whose latest
        run failed; 409 when more than 500 match or another bulk replay is still going."""
        replay_id = await start_bulk_replay(
            db, user, settings, dispatcher, workflow_id, data.range_from, data.range_to
        )
        return bulk_replay_out(await owned_bulk_replay(db, user, replay_id))

    @get("/bulk-replays/{bulk_replay_id:int}")
    async def read_api(
        self,
        bulk_replay_id: ObjectId,
        db: NamedDependency[AsyncSession],
        user: NamedDependency[User],
    ) -> BulkReplayOut:
        """Progress of a bulk replay: each event's replay run and its status."""
        return bulk_replay_out(await owned_bulk_replay(db, user, bulk_replay_id))
