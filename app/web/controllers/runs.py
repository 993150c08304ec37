"""Run and event pages: each step's request and response, the raw request received,
its uploaded files, and a workflow's history of received requests (`?before=` keyset).

While a run is unfinished its status block re-fetches itself every second (htmx);
the same block is what a full page load renders inline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import QueryParameter
from litestar.response import Response, Template
from sqlmodel.ext.asyncio.session import AsyncSession

from app.store.events import list_event_files, list_workflow_events
from app.store.history import get_user_event, get_user_run, list_run_attempts
from app.store.tables import (
    TERMINAL_RUN_STATUSES,
    Event,
    EventFile,
    Run,
    StepAttempt,
    User,
    Workflow,
)
from app.store.workflows import get_user_workflow
from app.web.controllers.api_history import owned_file_download
from app.web.params import MAX_ID, ObjectId
from app.web.presenters import query_out
from app.web.run_view import UnmetCondition, attempt_title, unmet_conditions
from app.web.schemas import QueryOut
from app.workflows.exact_json import dump_exact_json, load_exact_json

HISTORY_PAGE_SIZE = 50


PAGE_PREVIEW_BYTES = 64 * 1024  # larger bodies are shown cut; the download has every byte


@dataclass
class RunPage:
    run: Run
    workflow: Workflow
    attempts: list[StepAttempt]
    finished: bool

    def title(self, attempt: StepAttempt) -> str:
        return attempt_title(self.run.plan, attempt)

    def unmet_conditions(self, attempt: StepAttempt) -> list[UnmetCondition]:
        return unmet_conditions(attempt)


@dataclass
class EventPage:
    event: Event
    workflow: Workflow
    body_text: str
    body_is_text: bool
    parsed_pretty: str | None
    query: QueryOut
    files: list[EventFile]


@dataclass
class EventHistoryPage:
    workflow: Workflow
    events: list[Event]
    next_before: int | None
    first_page: bool


async def _run_page(
    db: NamedDependency[AsyncSession], user: NamedDependency[User], run_id: ObjectId
) -> RunPage:
    assert user.id is not None
    run = await get_user_run(db, user_id=user.id, run_id=run_id)
    if run is None or run.id is None:
        raise NotFoundException("There is no run with this id in your account.")
    workflow = await db.get(Workflow, run.workflow_id)
    assert workflow is not None
    attempts = await list_run_attempts(db, run_id=run.id)
    return RunPage(run, workflow, attempts, finished=run.status in TERMINAL_RUN_STATUSES)


async def _owned_event(
    db: NamedDependency[AsyncSession], user: NamedDependency[User], event_id: ObjectId
) -> Event:
    assert user.id is not None
    event = await get_user_event(db, user_id=user.id, event_id=event_id)
    if event is None:
        raise NotFoundException("There is no event with this id in your account.")
    return event


class RunPagesController(Controller):
    path = "/"

    @get("/runs/{run_id:int}")
    async def run_page(
        self,
        run_id: ObjectId,
        request: Request[Any, Any, Any],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[User],
    ) -> Template:
        page = await _run_page(db, user, run_id)
        return Template("runs/run.html", context={"page": page, "user": user})

    @get("/runs/{run_id:int}/status")
    async def run_status(
        self, run_id: ObjectId, db: NamedDependency[AsyncSession], user: NamedDependency[User]
    ) -> Template:
        page = await _run_page(db, user, run_id)
        return Template("runs/_status.html", context={"page": page})

    @get("/events/{event_id:int}")
    async def event_page(
        self,
        event_id: ObjectId,
        db: NamedDependency[AsyncSession],
        user: NamedDependency[User],
    ) -> Template:
        event = await _owned_event(db, user, event_id)
        workflow = await db.get(Workflow, event.workflow_id)
        assert workflow is not None
        shown = event.body[:PAGE_PREVIEW_BYTES]
        try:
            body_text, is_text = shown.decode("utf-8"), True
        except UnicodeDecodeError:
            body_text, is_text = shown.hex(" "), False
        pretty = None
        if event.parsed_json and len(event.parsed_json) <= PAGE_PREVIEW_BYTES:
            pretty = dump_exact_json(load_exact_json(event.parsed_json), indent=2)
        files = await list_event_files(db, event_id=event_id)
        query = query_out(event.query_string)
        page = EventPage(event, workflow, body_text, is_text, pretty, query, files)
        return Template("runs/event.html", context={"page": page, "user": user})

    @get("/events/{event_id:int}/files/{file_id:int}", media_type="application/octet-stream")
    async def event_file(
        self,
        event_id: ObjectId,
        file_id: ObjectId,
        db: NamedDependency[AsyncSession],
        user: NamedDependency[User],
    ) -> Response[bytes]:
        """One uploaded file's exact bytes, as a download (owner only, 404 otherwise)."""
        return await owned_file_download(db, user, event_id, file_id)

    @get("/workflows/{workflow_id:int}/events")
    async def event_history(
        self,
        workflow_id: ObjectId,
        db: NamedDependency[AsyncSession],
        user: NamedDependency[User],
        before: Annotated[int | None, QueryParameter(required=False, ge=1, le=MAX_ID)] = None,
    ) -> Template:
        """Every request the URL received (accepted, held, duplicate, rejected), newest first."""
        assert user.id is not None
        workflow = await get_user_workflow(db, user_id=user.id, workflow_id=workflow_id)
        if workflow is None:
            raise NotFoundException("There is no workflow with this id in your account.")
        events = await list_workflow_events(
            db, workflow_id=workflow_id, before_id=before, limit=HISTORY_PAGE_SIZE
        )
        next_before = events[-1].id if len(events) == HISTORY_PAGE_SIZE else None
        page = EventHistoryPage(workflow, events, next_before, first_page=before is None)
        return Template("workflows/events.html", context={"page": page, "user": user})

    @get("/events/{event_id:int}/body")
    async def event_body(
        self,
        event_id: ObjectId,
        db: NamedDependency[AsyncSession],
        user: NamedDependency[User],
    ) -> Response[bytes]:
        """The exact bytes received, as a download (never rendered as a page)."""
        event = await _owned_event(db, user, event_id)
        return Response(
            content=event.body,
            media_type="application/octet-stream",
            headers={"Content-Disposition": f'attachment; filename="event-{event_id}.bin"'},
        )
