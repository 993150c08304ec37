"""Driving the workflow editor like a browser: harvest a page's form, press a button.

`harvest` reads every named input of the editor form the way a browser submits it
(checked boxes and radios only, the selected option, textarea text), so tests round-trip exactly
what the page shows.
"""

from __future__ import annotations

from typing import Any

from bs4 import BeautifulSoup, Tag
from litestar.testing import AsyncTestClient

from app.store.db import create_engine, create_session_factory, transaction
from app.store.sealing import open_step_config
from app.store.tables import Step
from app.store.users import find_user_by_email, issue_api_token
from app.store.workflows import list_workflow_steps
from tests.support.page_session import sign_in_browser_session

PASSWORD = "correct horse battery"
Fields = list[tuple[str, str]]


def html(text: str) -> BeautifulSoup:
    return BeautifulSoup(text, "html.parser")


def harvest(page: BeautifulSoup) -> Fields:
    """The editor form's fields as a browser would submit them (without a button)."""
    form = page.select_one("form.editor")
    assert form is not None, "no editor form on the page"
    fields: Fields = []
    for element in form.find_all(["input", "textarea", "select"]):
        assert isinstance(element, Tag)
        name = element.get("name")
        if not name or element.get("disabled") is not None:
            continue
        kind = element.get("type", "text")
        if element.name == "input" and kind in ("submit", "button"):
            continue
        if element.name == "input" and kind in ("checkbox", "radio"):
            if element.get("checked") is not None:
                fields.append((str(name), str(element.get("value", "on"))))
        elif element.name == "textarea":
            fields.append((str(name), element.text))
        elif element.name == "select":
            chosen = element.select_one("option[selected]") or element.select_one("option")
            value = "" if chosen is None else chosen.get("value", chosen.text)
            fields.append((str(name), str(value)))
        else:
            fields.append((str(name), str(element.get("value", ""))))
    return fields


def with_values(fields: Fields, **changes: str) -> Fields:
    """`fields` with some inputs set (names with '-' given as '__')."""
    wanted = {name.replace("__", "-"): value for name, value in changes.items()}
    kept = [(name, value) for name, value in fields if name not in wanted]
    return kept + list(wanted.items())


async def press(client: AsyncTestClient, path: str, fields: Fields, action: str = "save"):  # type: ignore[no-untyped-def,type-arg]
    """Submit the editor at `path` with `fields`, as if the `action` button was pressed."""
    data: dict[str, Any] = {}
    for name, value in [*fields, ("action", action)]:
        data.setdefault(name, []).append(value)
    return await client.post(path, data=data, follow_redirects=False)


async def signed_in_with_token(client: AsyncTestClient, email: str) -> dict[str, str]:  # type: ignore[type-arg]
    """Sign `email` up in the client's browser session; return API headers for them too."""
    await sign_in_browser_session(client, email, PASSWORD)
    engine = create_engine(client.app.state.settings.database)
    try:
        async with transaction(create_session_factory(engine)) as session:
            user = await find_user_by_email(session, email=email)
            assert user is not None and user.id is not None
            _row, token = await issue_api_token(session, user_id=user.id)
    finally:
        await engine.dispose()
    return {"Authorization": f"Bearer {token}"}


async def opened_steps(client: AsyncTestClient, workflow_id: int) -> list[dict[str, Any]]:  # type: ignore[type-arg]
    """The stored step configs with their secrets opened (what the worker would use)."""
    settings = client.app.state.settings
    engine = create_engine(settings.database)
    try:
        async with transaction(create_session_factory(engine)) as session:
            steps: list[Step] = await list_workflow_steps(session, workflow_id=workflow_id)
    finally:
        await engine.dispose()
    return [open_step_config(settings, step.config) for step in steps]
