"""The workflow page's "Retries" form: how many tries a step gets before its run fails."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.response import Redirect
from sqlmodel.ext.asyncio.session import AsyncSession

from app.store.tables import User
from app.store.workflow_settings import set_retry_max_tries
from app.web.errors import InvalidInput
from app.web.owned import owned_workflow
from app.web.params import ObjectId
from app.workflows.definition import MAX_RETRY_TRIES


def parse_retry_tries(raw: str) -> int | None:
    """The form's value: empty means the default; otherwise a whole number 1..MAX."""
    text = raw.strip()
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text) <= MAX_RETRY_TRIES:
        raise InvalidInput(
            {
                "retry_max_tries": f"Enter a whole number from 1 (no retries) to "
                f"{MAX_RETRY_TRIES}, or leave it empty for the default."
            }
        )
    return int(text)


class RetrySettingsController(Controller):
    path = "/"

    @post("/workflows/{workflow_id:int}/retries")
    async def save_retries(
        self,
        workflow_id: ObjectId,
        request: Request[Any, Any, Any],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[User],
    ) -> Redirect:
        workflow = await owned_workflow(db, user, workflow_id)
        raw = str((await request.form()).get("retry_max_tries", ""))
        await set_retry_max_tries(db, workflow=workflow, tries=parse_retry_tries(raw))
        return Redirect(path=f"/workflows/{workflow_id}")
