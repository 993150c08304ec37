"""The workflow API refuses what it would otherwise drop, and says where it belongs (issue 6)."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tests.conftest import ApiUser

STEP = {"type": "http_request", "config": {"method": "POST", "url": "https://example.com/in"}}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"name": "Orders", "steps": [{**STEP, "repeat_safe": True}]},
            '"repeat_safe" is not a step field (a step has type, name, enabled and config): '
            'the step\'s own settings, such as "repeat_safe", go inside "config"',
        ),
        (
            {"name": "Orders", "methods": ["POST"]},
            '"methods" is not a workflow field (a workflow has name, enabled, steps, trigger '
            "and retry_max_tries)",
        ),
    ],
)
async def test_api_refuses_an_unknown_field_naming_it_and_where_it_belongs(
    client: AsyncTestClient,  # type: ignore[type-arg]
    api_user: ApiUser,
    body: dict[str, Any],
    expected: str,
) -> None:
    created = await client.post("/api/v1/workflows", json=body, headers=api_user.headers)
    assert created.status_code == 400, created.text
    assert expected in created.json()["error"]
    listed = await client.get("/api/v1/workflows", headers=api_user.headers)
    assert listed.json() == [], "nothing was saved"


async def test_api_update_refuses_an_unknown_step_field(
    client: AsyncTestClient,  # type: ignore[type-arg]
    api_user: ApiUser,
) -> None:
    made = await client.post(
        "/api/v1/workflows", json={"name": "Orders", "steps": [STEP]}, headers=api_user.headers
    )
    workflow_id = made.json()["id"]
    changed = await client.put(
        f"/api/v1/workflows/{workflow_id}",
        json={"steps": [{**STEP, "repeat_safe": True}]},
        headers=api_user.headers,
    )
    assert changed.status_code == 400
    assert '"repeat_safe" is not a step field' in changed.json()["error"]


async def test_api_with_an_empty_body_asks_for_the_workflow_as_json(
    client: AsyncTestClient,  # type: ignore[type-arg]
    api_user: ApiUser,
) -> None:
    created = await client.post("/api/v1/workflows", content=b"", headers=api_user.headers)
    assert created.status_code == 400
    assert created.json()["error"] == "The request body is empty; send the workflow as JSON."
