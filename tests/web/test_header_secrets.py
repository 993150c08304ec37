"""Credentials typed as step headers are sealed at rest and masked, yet sent for real."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from tests.conftest import ApiUser, wait_for
from tests.support.local_http import LocalServer
from tests.support.stored_rows import stored_rows
from tests.worker.conftest import BASE, create_workflow, http_step

TOKEN = "Bearer webtoken-9876"


async def test_authorization_header_is_sealed_masked_and_still_sent(
    client: AsyncTestClient, api_user: ApiUser, sink: LocalServer
) -> None:
    step = http_step(sink.url("/in"), headers={"Authorization": TOKEN, "X-Plain": "visible"})
    workflow = await create_workflow(client, api_user, [step])
    shown = workflow["steps"][0]["config"]["headers"]
    assert shown["Authorization"].startswith("••••") and "webtoken" not in shown["Authorization"]
    assert shown["X-Plain"] == "visible"

    await client.post(workflow["hook_url"].removeprefix(BASE), json={"a": 1})
    await wait_for(lambda: sink.received)
    assert sink.received[0].header("Authorization") == TOKEN

    assert not any("webtoken-9876" in row for row in await stored_rows(client))

    renamed = await client.put(
        f"/api/v1/workflows/{workflow['id']}",
        json={
            "name": "renamed",
            "steps": [{**step, "config": {**step["config"], "headers": shown}}],
        },
        headers=api_user.headers,
    )
    assert renamed.status_code == 200
    await client.post(workflow["hook_url"].removeprefix(BASE), json={"a": 2})
    await wait_for(lambda: len(sink.received) == 2)
    assert sink.received[1].header("Authorization") == TOKEN, "a masked value keeps the secret"
