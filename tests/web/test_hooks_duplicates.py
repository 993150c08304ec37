"""A repeated delivery id answers 2xx, runs nothing more, and is listed as a duplicate."""

from __future__ import annotations

import asyncio
import uuid

from litestar.testing import AsyncTestClient

from tests.conftest import ApiUser
from tests.fixtures import FIXTURES
from tests.web.hooks_support import (
    event_detail,
    events_of,
    github_headers,
    make_hook,
    runs_of,
)

GITHUB_PUSH = (FIXTURES / "github" / "push.payload.json").read_bytes()
SECRET = "It's a Secret to Everybody"


def _delivery(delivery_id: str) -> dict[str, str]:
    return github_headers(SECRET, GITHUB_PUSH, delivery=delivery_id)


async def test_repeated_delivery_is_acknowledged_listed_and_not_run_again(
    client: AsyncTestClient, api_user: ApiUser
) -> None:
    trigger = {"signature": {"preset": "github", "secret": SECRET}}
    workflow_id, path = await make_hook(client, api_user, trigger)
    delivery = str(uuid.uuid4())
    first = await client.post(path, content=GITHUB_PUSH, headers=_delivery(delivery))
    again = await client.post(path, content=GITHUB_PUSH, headers=_delivery(delivery))

    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json()["duplicate"] is True
    assert again.json()["duplicate_of"] == first.json()["event_id"]
    assert again.headers["x-hookline-duplicate"] == "true"
    copy = await event_detail(client, api_user, again.json()["event_id"])
    assert copy["outcome"] == "duplicate"
    assert copy["duplicate_of_event_id"] == first.json()["event_id"]
    assert delivery in copy["reason"]
    assert len(await runs_of(client, api_user, workflow_id)) == 1


async def test_user_chosen_dedupe_header_and_body_path(
    client: AsyncTestClient, api_user: ApiUser
) -> None:
    by_header, header_path = await make_hook(
        client, api_user, {"dedupe": {"header": "X-Request-Id"}}
    )
    by_body, body_path = await make_hook(client, api_user, {"dedupe": {"body_path": "data.id"}})
    for _ in range(2):
        await client.post(header_path, json={"n": 1}, headers={"X-Request-Id": "req-1"})
        await client.post(body_path, json={"data": {"id": 10.0}})
    await client.post(body_path, json={"data": {"id": 10}})  # a different key: "10" not "10.0"

    assert [e["outcome"] for e in await events_of(client, api_user, by_header)] == [
        "duplicate",
        "accepted",
    ]
    assert [e["outcome"] for e in await events_of(client, api_user, by_body)] == [
        "accepted",
        "duplicate",
        "accepted",
    ]


async def test_fifty_concurrent_copies_of_one_delivery_start_exactly_one_run(
    client: AsyncTestClient, api_user: ApiUser
) -> None:
    trigger = {"signature": {"preset": "github", "secret": SECRET}}
    workflow_id, path = await make_hook(client, api_user, trigger)
    headers = _delivery(str(uuid.uuid4()))

    answers = await asyncio.gather(
        *(client.post(path, content=GITHUB_PUSH, headers=headers) for _ in range(50))
    )

    assert sorted({a.status_code for a in answers}) == [202]
    assert sum(1 for a in answers if not a.json().get("duplicate")) == 1
    outcomes = [e["outcome"] for e in await events_of(client, api_user, workflow_id)]
    assert outcomes.count("accepted") == 1 and outcomes.count("duplicate") == 49
    assert len(await runs_of(client, api_user, workflow_id)) == 1
