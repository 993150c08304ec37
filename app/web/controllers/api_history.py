"""JSON API for what happened: a workflow's events and runs, one run, one event and its files.

Also `POST /api/v1/workflows/{id}/rotate-url`, which retires the inbound URL (the old
one answers 410 Gone from then on) and hands back the workflow with its new URL.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import QueryParameter
from sqlmodel.ext.asyncio.session import AsyncSession

from app.settings import Settings
from app.store.events import get_user_event_file, list_event_files, list_workflow_events
from app.store.history import list_run_attempts, list_workflow_runs
from app.store.hook_urls import rotate_hook_token
from app.store.tables import EventFile, User
from app.store.workflows import list_workflow_steps
from app.web.owned import owned_event, owned_run, owned_workflow
from app.web.params import MAX_ID, ObjectId
from app.web.presenters import event_detail_json, event_out, run_detail_out, run_out, workflow_out
from app.web.schemas import EventDetailOut, EventOut, Page, RunDetailOut, RunOut, WorkflowOut

Before = QueryParameter(required=False, ge=1, le=MAX_ID, description="Last id seen (keyset).")
Limit = QueryParameter(required=False, ge=1, le=200, description="Page size.")


class HistoryApiController(Controller):
    path = "/api/v1"
    tags = ["history"]

    @get("/workflows/{workflow_id:int}/runs")
    async def workflow_runs(
        self,
        workflow_id: ObjectId,
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
        workflow_id: ObjectId,
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
        self, run_id: ObjectId, db: NamedDependency[AsyncSession], user: NamedDependency[User]
    ) -> RunDetailOut:
        """One run with every step attempt: what was sent, what came back, errors, warnings."""
        run = await owned_run(db, user, run_id)
        assert run.id is not None
        return run_detail_out(run, await list_run_attempts(db, run_id=run.id))

    @get(
        "/events/{event_id:int}",
        responses={200: ResponseSpec(data_container=EventDetailOut, description="The event")},
    )
    async def event_detail(
        self,
        event_id: ObjectId,
        db: NamedDependency[AsyncSession],
        user: NamedDependency[User],
    ) -> Response[bytes]:
        """One received request: headers in order, query, exact body (base64), parsed view."""
        event = await owned_event(db, user, event_id)
        files = await list_event_files(db, event_id=event_id)
        content = event_detail_json(event, files).encode()
        return Response(content=content, media_type="application/json")

    @get("/events/{event_id:int}/files/{file_id:int}", media_type="application/octet-stream")
    async def event_file(
        self,
        event_id: ObjectId,
        file_id: ObjectId,
        db: NamedDependency[AsyncSession],
        user: NamedDependency[User],
    ) -> Response[bytes]:
        """The exact bytes of one uploaded file, as a download."""
        return await owned_file_download(db, user, event_id, file_id)

    @post("/workflows/{workflow_id:int}/rotate-url", status_code=200)
    async def rotate_url(
        self,
        workflow_id: ObjectId,
        db: NamedDependency[AsyncSession],
        user: NamedDependency[User],
        settings: NamedDependency[Settings],
    ) -> WorkflowOut:
        """Give the workflow a new inbound URL; the old one answers 410 Gone from now on."""
        workflow = await owned_workflow(db, user, workflow_id)
        assert workflow.id is not None
        await rotate_hook_token(db, workflow=workflow)
        steps = await list_workflow_steps(db, workflow_id=workflow.id)
        return workflow_out(settings, workflow, steps)


async def owned_file_download(
    db: AsyncSession, user: User, event_id: int, file_id: int
) -> Response[bytes]:
    """One uploaded file of the user's own event as a download; 404 for anyone else's."""
    assert user.id is not None
    found = await get_user_event_file(db, user_id=user.id, event_id=event_id, file_id=file_id)
    if found is None:
        raise NotFoundException("There is no such file in your account.")
    return file_download(found)


def file_download(event_file: EventFile) -> Response[bytes]:
    """An uploaded file as an attachment; never rendered inline (it is the sender's data)."""
    return Response(
        content=event_file.data,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": content_disposition(event_file.filename),
            "X-Content-Type-Options": "nosniff",
        },
    )


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII fallback name and the exact name in RFC 5987 form."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename
    )
    return f"attachment; filename=\"{fallback or 'file'}\"; filename*=UTF-8''{quote(filename)}"
