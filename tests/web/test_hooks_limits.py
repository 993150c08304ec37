"""Size and rate limits of the webhook URL: 413 stores nothing, 429 says when to retry."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar.testing import AsyncTestClient

from app.settings import InboundSettings, Settings
from tests.conftest import ApiUser
from tests.web.hooks_support import BASE, events_of, make_hook


@pytest.fixture
async def limited_client(settings: Settings) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    """The app with a 1 kB body limit and 3 requests per hook per minute."""
    from app.web.asgi import create_app

    limited = settings.model_copy(
        update={"inbound": InboundSettings(max_body_bytes=1024, rate_limit_per_minute=3)}
    )
    app = create_app(limited, embedded_worker=False)
    async with AsyncTestClient(app=app, base_url=BASE) as test_client:
        yield test_client


async def test_body_over_the_limit_is_413_and_nothing_is_stored(
    limited_client: AsyncTestClient, api_user: ApiUser
) -> None:
    workflow_id, path = await make_hook(limited_client, api_user)
    too_big = await limited_client.post(path, content=b"x" * 1025)
    just_fits = await limited_client.post(path, content=b"x" * 1024)

    assert too_big.status_code == 413
    assert too_big.json()["error"] == (
        "The request body is too large: Hookline accepts at most 1 KB. Nothing was stored."
    )
    assert just_fits.status_code == 202
    [event] = await events_of(limited_client, api_user, workflow_id)
    assert event["size"] == 1024


async def test_headers_over_64_kb_are_431_and_nothing_is_stored(
    limited_client: AsyncTestClient, api_user: ApiUser
) -> None:
    workflow_id, path = await make_hook(limited_client, api_user)
    too_big = await limited_client.post(path, content=b"{}", headers={"X-Big": "a" * 70_000})
    fits = await limited_client.post(path, content=b"{}", headers={"X-Big": "a" * 60_000})

    assert too_big.status_code == 431
    assert "at most 64 KB of headers" in too_big.json()["error"]
    assert fits.status_code == 202
    [event] = await events_of(limited_client, api_user, workflow_id)
    assert event["size"] == 2  # only the request that fit was stored


async def test_requests_over_the_rate_limit_get_429_with_retry_after(
    limited_client: AsyncTestClient, api_user: ApiUser
) -> None:
    busy_id, busy = await make_hook(limited_client, api_user)
    _, quiet = await make_hook(limited_client, api_user)
    answers = [await limited_client.post(busy, json={"n": n}) for n in range(5)]

    assert [a.status_code for a in answers] == [202, 202, 202, 429, 429]
    assert 1 <= int(answers[-1].headers["retry-after"]) <= 60
    assert "too many requests" in answers[-1].json()["error"]
    assert len(await events_of(limited_client, api_user, busy_id)) == 3
    assert (await limited_client.post(quiet, json={})).status_code == 202
