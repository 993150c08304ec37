"""Workflow pages: dashboard, create/edit forms, detail page with URL, events and runs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Controller, MediaType, Request, get, post
from litestar.di import NamedDependency
from litestar.response import Redirect, Template
from sqlmodel.ext.asyncio.session import AsyncSession

from app.settings import Settings
from app.store.dashboard import count_held_events_by_workflow, summarize_user_workflows
from app.store.events import list_workflow_events
from app.store.history import list_workflow_runs
from app.store.hook_urls import rotate_hook_token
from app.store.sealing import open_trigger, vault_for
from app.store.tables import Event, Run, User, Workflow, utcnow
from app.store.workflow_versions import claim_workflow_version
from app.store.workflows import (
    create_workflow,
    delete_workflow,
    list_workflow_steps,
    set_workflow_enabled,
    step_definitions,
    update_workflow,
)
from app.web.editor_page import EditorPage, checked_definition, reshown
from app.web.forms import WorkflowForm, form_from_definition, read_workflow_form
from app.web.owned import owned_workflow
from app.web.params import ObjectId
from app.web.secret_reuse import reuse_sealed_secrets
from app.web.secrets import SecretBox, editor_secrets
from app.web.step_forms.actions import apply_editor_action, is_editor_action
from app.web.step_forms.steps import new_step
from app.web.trigger_form import trigger_form_from_config
from app.workflows.definition import WorkflowDefinition


@dataclass
class WorkflowPage:
    workflow: Workflow
    hook_url: str
    steps: list[Any]
    runs: list[Run]
    events: list[Event]
    held_events: int = 0  # held and never run: "Run held events" is offered only then


class WorkflowPagesController(Controller):
    path = "/"

    @get("/")
    async def dashboard(
        self, db: NamedDependency[AsyncSession], user: NamedDependency[User]
    ) -> Template:
        assert user.id is not None
        rows = await summarize_user_workflows(db, user_id=user.id, now=utcnow())
        return Template("workflows/dashboard.html", context={"rows": rows, "user": user})

    @get("/workflows/new")
    async def new_page(self, user: NamedDependency[User]) -> Template:
        first = new_step("http_request")
        page = EditorPage(form=WorkflowForm(steps=[first] if first else []))
        return Template("workflows/editor.html", context={"page": page, "user": user})

    @post("/workflows/new")
    async def create(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[User],
    ) -> Template | Redirect:
        form = read_workflow_form(await request.form())
        return await self._save(request, db, user, form, workflow=None)

    @get("/workflows/{workflow_id:int}")
    async def detail(
        self,
        workflow_id: ObjectId,
        db: NamedDependency[AsyncSession],
        user: NamedDependency[User],
        settings: NamedDependency[Settings],
    ) -> Template:
        workflow = await owned_workflow(db, user, workflow_id)
        assert workflow.id is not None
        page = WorkflowPage(
            workflow=workflow,
            hook_url=settings.hook_url(workflow.hook_token),
            steps=await list_workflow_steps(db, workflow_id=workflow.id),
            runs=await list_workflow_runs(db, workflow_id=workflow.id, limit=20),
            events=await list_workflow_events(db, workflow_id=workflow.id, limit=20),
        )
        assert user.id is not None
        held = await count_held_events_by_workflow(db, user_id=user.id)
        page.held_events = held.get(workflow.id, 0)
        return Template("workflows/detail.html", context={"page": page, "user": user})

    @get("/workflows/{workflow_id:int}/edit")
    async def edit_page(
        self,
        workflow_id: ObjectId,
        db: NamedDependency[AsyncSession],
        user: NamedDependency[User],
        settings: NamedDependency[Settings],
    ) -> Template:
        workflow = await owned_workflow(db, user, workflow_id)
        assert workflow.id is not None
        steps = step_definitions(await list_workflow_steps(db, workflow_id=workflow.id))
        definition = WorkflowDefinition(name=workflow.name, enabled=workflow.enabled, steps=steps)
        form = form_from_definition(definition)
        form.trigger = trigger_form_from_config(workflow.trigger)
        form.version = workflow.version
        page = EditorPage(
            form=form,
            workflow=workflow,
            hook_url=settings.hook_url(workflow.hook_token),
        )
        return Template("workflows/editor.html", context={"page": page, "user": user})

    @post("/workflows/{workflow_id:int}/edit")
    async def update(
        self,
        workflow_id: ObjectId,
        request: Request[Any, Any, Any],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[User],
    ) -> Template | Redirect:
        workflow = await owned_workflow(db, user, workflow_id)
        form = read_workflow_form(await request.form())
        return await self._save(request, db, user, form, workflow=workflow)

    async def _save(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[User],
        form: WorkflowForm,
        *,
        workflow: Workflow | None,
    ) -> Template | Redirect:
        action = str((await request.form()).get("action", "save"))
        assert user.id is not None
        stored_steps = (
            await list_workflow_steps(db, workflow_id=workflow.id)
            if workflow is not None and workflow.id is not None
            else []
        )
        settings = request.app.state.settings
        secrets = editor_secrets(settings, user_id=user.id, workflow=workflow, steps=stored_steps)
        page = EditorPage(
            form=form,
            workflow=workflow,
            hook_url=settings.hook_url(workflow.hook_token) if workflow else None,
            unsaved=True,
        )
        if is_editor_action(action):
            page.focus = apply_editor_action(form.steps, action)
            return _shown_again(page, user, secrets, status=200)
        seen = seen_version(action, form)
        if workflow is not None and seen is not None and seen != workflow.version:
            page.conflict_version = workflow.version
            return _shown_again(page, user, secrets, status=409)
        stored = open_trigger(settings, workflow.trigger) if workflow else None
        definition, page.errors = checked_definition(form, stored, secrets)
        if definition is None:
            return _shown_again(page, user, secrets, status=400)
        vault = vault_for(settings)
        if workflow is None:
            workflow = await create_workflow(
                db, user_id=user.id, definition=definition, vault=vault
            )
            return Redirect(path=f"/workflows/{workflow.id}")
        if seen is not None and not await claim_workflow_version(
            db, workflow=workflow, seen_version=seen
        ):  # saved by someone else between our read and now
            await db.refresh(workflow)
            page.conflict_version = workflow.version
            return _shown_again(page, user, secrets, status=409)
        definition = reuse_sealed_secrets(
            definition, workflow=workflow, steps=stored_steps, vault=vault
        )
        await update_workflow(db, workflow=workflow, definition=definition, vault=vault)
        return Redirect(path=f"/workflows/{workflow.id}")

    @post("/workflows/{workflow_id:int}/toggle")
    async def toggle(
        self,
        workflow_id: ObjectId,
        db: NamedDependency[AsyncSession],
        user: NamedDependency[User],
    ) -> Redirect:
        workflow = await owned_workflow(db, user, workflow_id)
        await set_workflow_enabled(db, workflow=workflow, enabled=not workflow.enabled)
        return Redirect(path=f"/workflows/{workflow_id}")

    @post("/workflows/{workflow_id:int}/rotate-url")
    async def rotate_url(
        self,
        workflow_id: ObjectId,
        db: NamedDependency[AsyncSession],
        user: NamedDependency[User],
    ) -> Redirect:
        """A new inbound URL; the old one answers 410 Gone from now on."""
        await rotate_hook_token(db, workflow=await owned_workflow(db, user, workflow_id))
        return Redirect(path=f"/workflows/{workflow_id}")

    @post("/workflows/{workflow_id:int}/delete")
    async def remove(
        self,
        workflow_id: ObjectId,
        db: NamedDependency[AsyncSession],
        user: NamedDependency[User],
    ) -> Redirect:
        await delete_workflow(db, workflow=await owned_workflow(db, user, workflow_id))
        return Redirect(path="/")


def seen_version(action: str, form: WorkflowForm) -> int | None:
    """The version this save was made from: the form's, or the latest one the person saw
    when they chose "save mine anyway" after a conflict (`overwrite:<version>`)."""
    verb, _, number = action.partition(":")
    if verb == "overwrite" and number.isdigit() and len(number) < 10:
        return int(number)
    return form.version


def _shown_again(page: EditorPage, user: User, secrets: SecretBox, *, status: int) -> Template:
    """The submitted form shown again, not saved: typed secrets hidden, problems placed."""
    reshown(page.form, secrets, page.errors)
    return Template(
        "workflows/editor.html",
        context={"page": page, "user": user},
        status_code=status,
        # said outright: the POST handlers return Any, which means JSON
        media_type=MediaType.HTML,
    )
