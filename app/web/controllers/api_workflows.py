"""JSON API for workflows: create, list, read, update, delete (`/api/v1/workflows`)."""

from __future__ import annotations

from litestar import Controller, delete, get, post, put
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.params import JSONBody
from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from app.inbound.trigger_checks import save_problems
from app.inbound.trigger_config import TriggerConfig
from app.integrations.validation import validate_step
from app.settings import Settings
from app.store.sealing import open_definition, vault_for
from app.store.tables import Step, User, Workflow
from app.store.workflow_settings import set_retry_max_tries
from app.store.workflow_versions import claim_workflow_version
from app.store.workflows import (
    create_workflow,
    delete_workflow,
    list_user_workflows,
    list_workflow_steps,
    step_definitions,
    update_workflow,
)
from app.web.errors import InvalidInput
from app.web.owned import owned_workflow
from app.web.params import ObjectId
from app.web.presenters import workflow_out
from app.web.schemas import WorkflowOut, WorkflowReplace
from app.web.secret_reuse import reuse_sealed_secrets
from app.web.secrets import keep_unchanged_secrets
from app.workflows.definition import WorkflowDefinition, WorkflowUpdate


class WorkflowChanged(HTTPException):
    """The update was made from a version that is no longer the latest."""

    status_code = 409

    def __init__(self, *, seen: int, current: int | None) -> None:
        now = f" (it is at version {current} now)" if current is not None else ""
        super().__init__(
            detail=(
                f"This workflow was changed since version {seen}{now}, so nothing was saved: "
                "read it again, make your change to the latest version and send that version."
            )
        )


def check_definition(definition: WorkflowDefinition) -> WorkflowDefinition:
    """Raise InvalidInput naming every field with a problem; normalise the trigger."""
    problems: dict[str, str] = {}
    for index, step in enumerate(definition.steps):
        for where, problem in validate_step(step).items():
            problems[f"steps[{index}].{where}"] = problem
    try:
        trigger = TriggerConfig.model_validate(definition.trigger or {})
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join(str(p) for p in error.get("loc", ()))
            problems[f"trigger.{where}"] = str(error.get("msg", "")).removeprefix("Value error, ")
        trigger = None
    if trigger is not None:  # rules that refuse a save but never break a stored workflow
        problems.update({f"trigger.{k}": v for k, v in save_problems(trigger).items()})
    if problems:
        raise InvalidInput(problems)
    assert trigger is not None
    return definition.model_copy(update={"trigger": trigger.model_dump(mode="json")})


class WorkflowApiController(Controller):
    path = "/api/v1/workflows"
    tags = ["workflows"]

    @post("/")
    async def create(
        self,
        data: JSONBody[WorkflowDefinition],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[User],
        settings: NamedDependency[Settings],
    ) -> WorkflowOut:
        """Create a workflow; the response carries its inbound `hook_url`."""
        assert user.id is not None
        vault = vault_for(settings)
        workflow = await create_workflow(
            db, user_id=user.id, definition=check_definition(data), vault=vault
        )
        await set_retry_max_tries(db, workflow=workflow, tries=data.retry_max_tries)
        return await self._out(db, settings, workflow)

    @get("/")
    async def list_all(
        self,
        db: NamedDependency[AsyncSession],
        user: NamedDependency[User],
        settings: NamedDependency[Settings],
    ) -> list[WorkflowOut]:
        assert user.id is not None
        workflows = await list_user_workflows(db, user_id=user.id)
        return [await self._out(db, settings, wf) for wf in workflows]

    @get("/{workflow_id:int}")
    async def read(
        self,
        workflow_id: ObjectId,
        db: NamedDependency[AsyncSession],
        user: NamedDependency[User],
        settings: NamedDependency[Settings],
    ) -> WorkflowOut:
        return await self._out(db, settings, await owned_workflow(db, user, workflow_id))

    @put("/{workflow_id:int}")
    async def replace(
        self,
        workflow_id: ObjectId,
        data: JSONBody[WorkflowReplace],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[User],
        settings: NamedDependency[Settings],
    ) -> WorkflowOut:
        """Update the workflow. Fields left out keep their current values (so renaming never
        drops steps or signature checks); masked secrets (••••) keep their value. With
        `version`, an update made from an outdated version answers 409 and changes nothing."""
        workflow = await owned_workflow(db, user, workflow_id)
        assert workflow.id is not None
        if data.version is not None and data.version != workflow.version:
            raise WorkflowChanged(seen=data.version, current=workflow.version)
        steps = await list_workflow_steps(db, workflow_id=workflow.id)
        vault = vault_for(settings)
        merged = with_current_values(data, workflow, steps)
        definition = open_definition(keep_unchanged_secrets(merged, workflow, steps), vault)
        checked = check_definition(definition)
        if data.version is not None and not await claim_workflow_version(
            db, workflow=workflow, seen_version=data.version
        ):
            raise WorkflowChanged(seen=data.version, current=None)
        kept = reuse_sealed_secrets(checked, workflow=workflow, steps=steps, vault=vault)
        await update_workflow(db, workflow=workflow, definition=kept, vault=vault)
        if "retry_max_tries" in data.model_fields_set:
            await set_retry_max_tries(db, workflow=workflow, tries=data.retry_max_tries)
        return await self._out(db, settings, workflow)

    @delete("/{workflow_id:int}")
    async def remove(
        self,
        workflow_id: ObjectId,
        db: NamedDependency[AsyncSession],
        user: NamedDependency[User],
    ) -> None:
        """Delete the workflow, its events and runs; its URL answers 404 from now on."""
        await delete_workflow(db, workflow=await owned_workflow(db, user, workflow_id))

    async def _out(
        self,
        db: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
        workflow: Workflow,
    ) -> WorkflowOut:
        assert workflow.id is not None
        steps = await list_workflow_steps(db, workflow_id=workflow.id)
        return workflow_out(settings, workflow, steps)


def with_current_values(
    data: WorkflowUpdate, workflow: Workflow, steps: list[Step]
) -> WorkflowDefinition:
    """The request's fields, with every field it left out taken from the stored workflow."""
    current = WorkflowDefinition(
        name=workflow.name,
        enabled=workflow.enabled,
        steps=step_definitions(steps),
        trigger=workflow.trigger,
    )
    given = {name: getattr(data, name) for name in data.model_fields_set if name != "version"}
    if given.get("name") is None:
        given.pop("name", None)
    if given.get("enabled") is None:
        given.pop("enabled", None)
    if given.get("steps") is None:
        given.pop("steps", None)
    return current.model_copy(update=given)
