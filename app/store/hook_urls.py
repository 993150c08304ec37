"""A workflow's inbound URL over time: rotating it, and remembering the tokens it replaced.

A rotated-away token answers 410 Gone (the sender is told the URL moved on purpose);
a token that never existed, or whose workflow was deleted, answers 404. Retired
tokens are deleted with their workflow (foreign key cascade).
"""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.store.tables import RetiredHookToken, Workflow, utcnow
from app.store.workflows import new_hook_token


async def rotate_hook_token(session: AsyncSession, *, workflow: Workflow) -> str:
    """Give the workflow a new URL token; the old one is kept as retired. Returns the new one."""
    assert workflow.id is not None
    session.add(RetiredHookToken(token=workflow.hook_token, workflow_id=workflow.id))
    workflow.hook_token = new_hook_token()
    workflow.updated_at = utcnow()
    session.add(workflow)
    await session.flush()
    return workflow.hook_token


async def is_retired_hook_token(session: AsyncSession, *, token: str) -> bool:
    found = await session.exec(select(RetiredHookToken).where(RetiredHookToken.token == token))
    return found.first() is not None
