"""Driving the workflow editor's step tools from tests: a signed-in owner, a stored workflow,
the editor form's fields read off the page as a browser would submit them, row counts."""

from __future__ import annotations

from typing import Any

from bs4 import BeautifulSoup
from litestar.testing import AsyncTestClient
from sqlalchemy import func
from sqlmodel import select

from app.settings import Settings
from app.store.db import create_engine, create_session_factory, transaction
from app.store.sealing import vault_for
from app.store.users import find_user_by_email
from app.store.workflows import create_workflow
from app.workflows.definition import StepDefinition, WorkflowDefinition
from tests.support.page_session import sign_in_browser_session

PASSWORD = "correct horse battery"
HTMX = {"HX-Request": "true"}


async def _in_db(settings: Settings, work: Any) -> Any:
    engine = create_engine(settings.database)
    try:
        async with transaction(create_session_factory(engine)) as session:
            return await work(session)
    finally:
        await engine.dispose()


async def sign_up(client: AsyncTestClient, settings: Settings, email: str) -> int:  # type: ignore[type-arg]
    """Sign up through the pages; returns the new user's id."""
    await sign_in_browser_session(client, email, PASSWORD)

    async def user_id(session: Any) -> int:
        user = await find_user_by_email(session, email=email)
        assert user is not None and user.id is not None
        return user.id

    return int(await _in_db(settings, user_id))


async def stored_workflow(
    settings: Settings,
    user_id: int,
    steps: list[StepDefinition],
    name: str = "Orders",
    *,
    enabled: bool = True,
) -> tuple[int, str]:
    """A saved workflow of `user_id`: its id and its hook path (/hooks/…).

    A workflow that is off keeps its events (held) without running them."""

    async def create(session: Any) -> tuple[int, str]:
        definition = WorkflowDefinition(name=name, enabled=enabled, steps=steps)
        workflow = await create_workflow(
            session, user_id=user_id, definition=definition, vault=vault_for(settings)
        )
        assert workflow.id is not None
        return workflow.id, f"/hooks/{workflow.hook_token}"

    result: tuple[int, str] = await _in_db(settings, create)
    return result


async def count_rows(settings: Settings, table: Any, **where: Any) -> int:
    async def count(session: Any) -> int:
        query = select(func.count()).select_from(table)
        for name, value in where.items():
            query = query.where(getattr(table, name) == value)
        return int((await session.exec(query)).one())

    return int(await _in_db(settings, count))


def editor_fields(html: str) -> list[tuple[str, str]]:
    """What the editor form submits as it stands (checked boxes, selected options…)."""
    form = BeautifulSoup(html, "html.parser").select_one("form.editor")
    assert form is not None, "the page has no editor form"
    fields: list[tuple[str, str]] = []
    for element in form.select("input[name], textarea[name], select[name]"):
        name = str(element["name"])
        kind = str(element.get("type", "text")).lower()
        if element.name == "textarea":
            fields.append((name, element.text))
        elif element.name == "select":
            chosen = element.select_one("option[selected]") or element.select_one("option")
            if chosen is not None:
                fields.append((name, str(chosen.get("value", chosen.text))))
        elif kind in ("checkbox", "radio"):
            if element.has_attr("checked"):
                fields.append((name, str(element.get("value", "on"))))
        elif kind not in ("submit", "button", "file"):
            fields.append((name, str(element.get("value", ""))))
    return fields


def with_field(fields: list[tuple[str, str]], suffix: str, value: str) -> list[tuple[str, str]]:
    """`fields` with the one field whose name ends with `suffix` set to `value`."""
    matches = [name for name, _ in fields if name.endswith(suffix)]
    assert len(matches) == 1, f"expected one field ending {suffix!r}, found {matches}"
    return [(name, value if name == matches[0] else old) for name, old in fields]


def as_form_data(fields: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Repeated names kept in order, in the shape the test client posts as a form."""
    data: dict[str, list[str]] = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    return data
