"""A user with one workflow, created straight in the store, for store and worker tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.settings import Settings
from app.store.db import SessionFactory, transaction
from app.store.sealing import vault_for
from app.store.users import create_user
from app.store.workflows import create_workflow
from app.workflows.definition import StepDefinition, WorkflowDefinition


@dataclass(frozen=True)
class Owner:
    user_id: int
    email: str
    workflow_id: int


async def make_owner(
    sessions: SessionFactory,
    settings: Settings,
    *,
    email: str = "owner@example.com",
    name: str = "Orders to CRM",
    trigger: dict[str, Any] | None = None,
    steps: Sequence[dict[str, Any]] = (),
) -> Owner:
    definition = WorkflowDefinition(
        name=name, trigger=trigger, steps=[StepDefinition.model_validate(s) for s in steps]
    )
    async with transaction(sessions) as session:
        user = await create_user(session, email=email)
        assert user.id is not None
        workflow = await create_workflow(
            session, user_id=user.id, definition=definition, vault=vault_for(settings)
        )
        assert workflow.id is not None
        return Owner(user_id=user.id, email=email, workflow_id=workflow.id)
