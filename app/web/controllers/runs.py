"""Run and event pages: each step's request and response, and the raw request received.

While a run is unfinished its status block re-fetches itself every second (htmx);
the same block is what a full page load renders inline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Response, Template
from sqlmodel.ext.asyncio.session import AsyncSession

from app.store.history import get_user_event, get_user_run, list_run_attempts
from app.store.tables import TERMINAL_RUN_STATUSES, Event, Run, StepAttempt, User, Workflow
from app.workflows.exact_json import dump_exact_json, load_exact_json


@dataclass
class RunPage:
    run: Run
    workflow: Workflow
    attempts: list[StepAttempt]
    finished: bool


@dataclass
class EventPage:
    event: Event
    workflow: Workflow
    body_text: str
    body_is_text: bool
    parsed_pretty: str | None


async def _run_page(
    db: NamedDependency[AsyncSession], user: NamedDependency[User], run_id: FromPath[int]
) -> RunPage:
    assert user.id is not None
    run = await get_user_run(db, user_id=user.id, run_id=run_id)
    if run is None or run.id is None:
        raise NotFoundException("There is no run with this id in your account.")
    workflow = await db.get(Workflow, run.workflow_id)
    assert workflow is not None
    attempts = await list_run_attempts(db, run_id=run.id)
    return RunPage(run, workflow, attempts, finished=run.status in TERMINAL_RUN_STATUSES)


class RunPagesController(Controller):
    path = "/"

    @get("/runs/{run_id:int}")
    async def run_page(
        self,
        run_id: FromPath[int],
        request: Request[Any, Any, Any],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[User],
    ) -> Template:
        page = await _run_page(db, user, run_id)
        return Template("runs/run.html", context={"page": page, "user": user})

    @get("/runs/{run_id:int}/status")
    async def run_status(
        self, run_id: FromPath[int], db: NamedDependency[AsyncSession], user: NamedDependency[User]
    ) -> Template:
        page = await _run_page(db, user, run_id)
        return Template("runs/_status.html", context={"page": page})

    @get("/events/{event_id:int}")
    async def event_page(
        self,
        event_id: FromPath[int],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[User],
    ) -> Template:
        assert user.id is not None
        event = await get_user_event(db, user_id=user.id, event_id=event_id)
        if event is None:
            raise NotFoundException("There is no event with this id in your account.")
        workflow = await db.get(Workflow, event.workflow_id)
        assert workflow is not None
        try:
            body_text, is_text = event.body.decode("utf-8"), True
        except UnicodeDecodeError:
            body_text, is_text = event.body.hex(" "), False
        pretty = None
        if event.parsed_json:
            pretty = dump_exact_json(load_exact_json(event.parsed_json), indent=2)
        page = EventPage(event, workflow, body_text, is_text, pretty)
        return Template("runs/event.html", context={"page": page, "user": user})

    @get("/events/{event_id:int}/body")
    async def event_body(
        self,
        event_id: FromPath[int],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[User],
    ) -> Response[bytes]:
        """The exact bytes received, as a download (never rendered as a page)."""
        assert user.id is not None
        event = await get_user_event(db, user_id=user.id, event_id=event_id)
        if event is None:
            raise NotFoundException("There is no event with this id in your account.")
        return Response(
            content=event.body,
            media_type="application/octet-stream",
            headers={"Content-Disposition": f'attachment; filename="event-{event_id}.bin"'},
        )
