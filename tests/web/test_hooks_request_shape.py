"""The webhook URL takes every request shape senders use, and says plainly what it did."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from tests.conftest import ApiUser
from tests.web.hooks_support import event_detail, events_of, make_hook, runs_of


async def test_hook_trailing_slash_is_the_same_url_without_redirect(
    client: AsyncTestClient, api_user: ApiUser
) -> None:
    workflow_id, path = await make_hook(client, api_user)
    plain = await client.post(path, json={"n": 1}, follow_redirects=False)
    slashed = await client.post(path + "/", json={"n": 2}, follow_redirects=False)
    assert (plain.status_code, slashed.status_code) == (202, 202)
    assert len(await events_of(client, api_user, workflow_id)) == 2


async def test_hook_get_and_head_answer_200_without_storing_unless_get_triggers(
    client: AsyncTestClient, api_user: ApiUser
) -> None:
    post_only, post_path = await make_hook(client, api_user)
    info = await client.get(post_path)
    head = await client.head(post_path)
    assert info.status_code == 200 and "webhook URL" in info.text
    assert head.status_code == 200 and head.content == b""
    assert await events_of(client, api_user, post_only) == []

    get_too, get_path = await make_hook(client, api_user, {"methods": ["POST", "GET"]})
    triggered = await client.get(get_path + "?order=42")
    assert triggered.status_code == 202
    [event] = await events_of(client, api_user, get_too)
    assert event["method"] == "GET" and event["outcome"] == "accepted"
    assert len(await runs_of(client, api_user, get_too)) == 1


async def test_hook_method_not_chosen_is_rejected_with_reason(
    client: AsyncTestClient, api_user: ApiUser
) -> None:
    workflow_id, path = await make_hook(client, api_user, {"methods": ["POST"]})
    answer = await client.put(path, json={"a": 1})
    assert answer.status_code == 405
    [event] = await events_of(client, api_user, workflow_id)
    assert event["outcome"] == "rejected" and "PUT" in event["reason"]
    assert await runs_of(client, api_user, workflow_id) == []


async def test_hook_options_answers_cors_preflight_only_when_browsers_allowed(
    client: AsyncTestClient, api_user: ApiUser
) -> None:
    preflight = {"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"}
    _, closed = await make_hook(client, api_user)
    _, open_path = await make_hook(client, api_user, {"allow_browser_senders": True})

    refused = await client.options(closed, headers=preflight)
    allowed = await client.options(open_path, headers=preflight)
    assert "access-control-allow-origin" not in refused.headers
    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == "*"
    assert "POST" in allowed.headers["access-control-allow-methods"]

    sent = await client.post(open_path, json={"x": 1}, headers={"Origin": "https://shop.example"})
    assert sent.status_code == 202
    assert sent.headers["access-control-allow-origin"] == "*"


async def test_hook_keeps_query_raw_and_decoded_apart_from_body_fields(
    client: AsyncTestClient, api_user: ApiUser
) -> None:
    _workflow_id, path = await make_hook(client, api_user)
    answer = await client.post(
        path + "?name=query+side&tag=a&tag=b%26c",
        content=b"name=body+side",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 202
    detail = await event_detail(client, api_user, answer.json()["event_id"])
    assert detail["query"]["raw"] == "name=query+side&tag=a&tag=b%26c"
    assert detail["query"]["values"] == {"name": "query side", "tag": ["a", "b&c"]}
    assert detail["parsed"] == {"name": "body side"}


async def test_hook_of_disabled_workflow_holds_events_without_running(
    client: AsyncTestClient, api_user: ApiUser
) -> None:
    workflow_id, path = await make_hook(client, api_user, enabled=False)
    answer = await client.post(path, json={"kept": True})
    assert answer.status_code == 202
    [event] = await events_of(client, api_user, workflow_id)
    assert event["outcome"] == "held"
    assert await runs_of(client, api_user, workflow_id) == []


async def test_hook_url_404s_after_delete_and_410s_after_rotation(
    client: AsyncTestClient, api_user: ApiUser
) -> None:
    workflow_id, old_path = await make_hook(client, api_user)
    rotated = await client.post(
        f"/api/v1/workflows/{workflow_id}/rotate-url", headers=api_user.headers
    )
    assert rotated.status_code == 200
    new_path = rotated.json()["hook_url"].removeprefix("http://testserver.local")
    assert new_path != old_path

    gone = await client.post(old_path, json={})
    assert gone.status_code == 410
    assert gone.headers["content-type"].startswith("text/plain")
    assert "replaced by a new one" in gone.text
    assert (await client.post(new_path, json={})).status_code == 202

    deleted = await client.delete(f"/api/v1/workflows/{workflow_id}", headers=api_user.headers)
    assert deleted.status_code == 204, deleted.text
    assert (await client.post(new_path, json={})).status_code == 404
    assert (await client.post(old_path, json={})).status_code == 404
    assert (await client.post("/hooks/never-existed", json={})).status_code == 404
