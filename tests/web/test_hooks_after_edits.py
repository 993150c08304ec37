"""The webhook edge follows edits at once: a changed secret, new steps, a switched-off workflow.

The SQLite edge caches decrypted triggers and plans by their stored content; these tests
warm that cache with a request first, then edit, and expect the next request to see it.
"""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from tests.conftest import ApiUser, wait_for
from tests.support.local_http import LocalServer
from tests.web.hooks_support import events_of, github_headers, make_hook

BODY = b'{"n": 1}'


def _signed(secret: str) -> dict[str, str]:
    return github_headers(secret, BODY)


async def _put(client: AsyncTestClient, user: ApiUser, workflow_id: int, **fields: object) -> None:  # type: ignore[type-arg]
    answer = await client.put(f"/api/v1/workflows/{workflow_id}", json=fields, headers=user.headers)
    assert answer.status_code == 200, answer.text


async def test_a_changed_secret_applies_to_the_next_request(
    client: AsyncTestClient,  # type: ignore[type-arg]
    api_user: ApiUser,
) -> None:
    trigger = {"signature": {"preset": "github", "secret": "old-secret"}}
    workflow_id, path = await make_hook(client, api_user, trigger)
    assert (await client.post(path, content=BODY, headers=_signed("old-secret"))).status_code == 202
    await _put(
        client, api_user, workflow_id, trigger={"signature": {"preset": "github", "secret": "new"}}
    )
    assert (await client.post(path, content=BODY, headers=_signed("old-secret"))).status_code == 401
    assert (await client.post(path, content=BODY, headers=_signed("new"))).status_code == 202


async def test_new_steps_and_switching_off_apply_to_the_next_request(
    client: AsyncTestClient,  # type: ignore[type-arg]
    api_user: ApiUser,
    sink: LocalServer,
) -> None:
    def step(where: str) -> dict[str, object]:
        return {"type": "http_request", "config": {"method": "POST", "url": sink.url(where)}}

    workflow_id, path = await make_hook(client, api_user, steps=[step("/first")])
    assert (await client.post(path, content=BODY)).status_code == 202
    await wait_for(lambda: [r for r in sink.received if r.path == "/first"])
    await _put(client, api_user, workflow_id, steps=[step("/second")])
    assert (await client.post(path, content=BODY)).status_code == 202
    await wait_for(lambda: [r for r in sink.received if r.path == "/second"])
    assert [r.path for r in sink.received] == ["/first", "/second"]

    await _put(client, api_user, workflow_id, enabled=False)
    assert (await client.post(path, content=BODY)).status_code == 202
    newest = (await events_of(client, api_user, workflow_id))[0]
    assert newest["outcome"] == "held"
