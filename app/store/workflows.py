"""Named queries for workflows and their steps, always scoped to the owning user."""

from __future__ import annotations

import secrets

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.store.schedule_state import refresh_next_tick
from app.store.sealing import SecretVault, seal_definition
from app.store.tables import Run, Step, Workflow, utcnow
from app.workflows.definition import StepDefinition, WorkflowDefinition


def new_hook_token() -> str:
    """An unguessable URL token: 24 random bytes = 192 bits."""
    return secrets.token_urlsafe(24)


async def create_workflow(
    session: AsyncSession, *, user_id: int, definition: WorkflowDefinition, vault: SecretVault
) -> Workflow:
    definition = seal_definition(definition, vault)
    workflow = Workflow(
        user_id=user_id,
        name=definition.name,
        enabled=definition.enabled,
        hook_token=new_hook_token(),
        trigger=definition.trigger,
    )
    refresh_next_tick(workflow, now=utcnow())
    session.add(workflow)
    await session.flush()
    assert workflow.id is not None
    await replace_steps(session, workflow_id=workflow.id, steps=definition.steps)
    return workflow


async def update_workflow(
    session: AsyncSession, *, workflow: Workflow, definition: WorkflowDefinition, vault: SecretVault
) -> Workflow:
    definition = seal_definition(definition, vault)
    workflow.name = definition.name
    _switch(workflow, enabled=definition.enabled)
    workflow.trigger = definition.trigger
    workflow.version += 1
    workflow.updated_at = utcnow()
    refresh_next_tick(workflow, now=workflow.updated_at)
    session.add(workflow)
    assert workflow.id is not None
    await replace_steps(session, workflow_id=workflow.id, steps=definition.steps)
    return workflow


async def replace_steps(
    session: AsyncSession, *, workflow_id: int, steps: list[StepDefinition]
) -> None:
    await session.exec(delete(Step).where(col(Step.workflow_id) == workflow_id))
    for position, step in enumerate(steps):
        session.add(
            Step(
                workflow_id=workflow_id,
                position=position,
                type=step.type,
                name=step.name,
                enabled=step.enabled,
                config=step.config,
            )
        )
    await session.flush()


async def set_workflow_enabled(session: AsyncSession, *, workflow: Workflow, enabled: bool) -> None:
    """Turn on/off. It is a change like an edit: an editor tab opened before it must not
    quietly switch the workflow back when it saves (it gets the "changed elsewhere" 409)."""
    _switch(workflow, enabled=enabled)
    workflow.version += 1
    workflow.updated_at = utcnow()
    refresh_next_tick(workflow, now=workflow.updated_at)
    session.add(workflow)


def _switch(workflow: Workflow, *, enabled: bool) -> None:
    """Turn on/off; turning on forgets an auto-pause (its reason and the failure streak)."""
    if enabled and not workflow.enabled:
        workflow.paused_reason = None
        workflow.failure_streak = 0
    workflow.enabled = enabled


async def delete_workflow(session: AsyncSession, *, workflow: Workflow) -> None:
    """Delete the workflow and its history.

    Runs go first: a worker finishing a run locks the run, then the workflow row (failure
    counting), so deleting in the same order cannot deadlock with it (PostgreSQL detected
    exactly that when the workflow row was deleted first and cascaded to its runs).
    """
    await session.exec(delete(Run).where(col(Run.workflow_id) == workflow.id))
    await session.delete(workflow)


async def get_user_workflow(
    session: AsyncSession, *, user_id: int, workflow_id: int
) -> Workflow | None:
    """The workflow if it belongs to the user; None otherwise (callers answer 404)."""
    workflow = await session.get(Workflow, workflow_id)
    if workflow is None or workflow.user_id != user_id:
        return None
    return workflow


async def find_workflow_by_hook_token(session: AsyncSession, *, token: str) -> Workflow | None:
    result = await session.exec(select(Workflow).where(Workflow.hook_token == token))
    return result.first()


async def list_user_workflows(session: AsyncSession, *, user_id: int) -> list[Workflow]:
    query = select(Workflow).where(Workflow.user_id == user_id).order_by(col(Workflow.id).desc())
    return list((await session.exec(query)).all())


async def list_workflow_steps(session: AsyncSession, *, workflow_id: int) -> list[Step]:
    query = select(Step).where(Step.workflow_id == workflow_id).order_by(col(Step.position))
    return list((await session.exec(query)).all())


def step_definitions(steps: list[Step]) -> list[StepDefinition]:
    return [
        StepDefinition(type=s.type, name=s.name, enabled=s.enabled, config=s.config) for s in steps
    ]
