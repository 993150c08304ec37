"""The workflows JSON API: CRUD, field-named validation errors, tokens, ownership, pages, schema."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

from tests.conftest import ApiUser

STEP = {
    "type": "http_request",
    "config": {
        "method": "POST",
        "url": "https://example.com/in",
        "body": {"a": "{{ trigger.body.a }}"},
    },
}


def workflow_json(name: str = "Orders", steps: list[dict] | None = None) -> dict:  # type: ignore[type-arg]
    return {"name": name, "enabled": True, "steps": [STEP] if steps is None else steps}


async def create(client: AsyncTestClient, user: ApiUser, **kwargs: object) -> dict:  # type: ignore[type-arg]
    answer = await client.post(
        "/api/v1/workflows", json=workflow_json(**kwargs), headers=user.headers
    )  # type: ignore[arg-type]
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


async def test_api_workflow_create_read_update_list_delete(
    client: AsyncTestClient, api_user: ApiUser
) -> None:
    created = await create(client, api_user)
    assert created["hook_url"].startswith("http://testserver.local/hooks/")
    assert len(created["hook_url"].rsplit("/", 1)[1]) >= 22  # >= 128 bits, URL-safe
    assert created["steps"][0]["config"]["url"] == "https://example.com/in"

    read = await client.get(f"/api/v1/workflows/{created['id']}", headers=api_user.headers)
    assert read.json()["name"] == "Orders"

    changed = workflow_json(
        name="Renamed", steps=[STEP, {**STEP, "config": {"url": "https://example.org/"}}]
    )
    changed["enabled"] = False
    updated = await client.put(
        f"/api/v1/workflows/{created['id']}", json=changed, headers=api_user.headers
    )
    assert updated.status_code == 200, updated.text
    assert (updated.json()["name"], updated.json()["enabled"]) == ("Renamed", False)
    assert [s["config"]["url"] for s in updated.json()["steps"]] == [
        "https://example.com/in",
        "https://example.org/",
    ]
    assert updated.json()["hook_url"] == created["hook_url"]

    listed = await client.get("/api/v1/workflows", headers=api_user.headers)
    assert [w["id"] for w in listed.json()] == [created["id"]]

    deleted = await client.delete(f"/api/v1/workflows/{created['id']}", headers=api_user.headers)
    assert deleted.status_code == 204
    gone = await client.get(f"/api/v1/workflows/{created['id']}", headers=api_user.headers)
    assert gone.status_code == 404
    hook = await client.post(created["hook_url"].removeprefix("http://testserver.local"), json={})
    assert hook.status_code == 404


@pytest.mark.parametrize(
    ("step", "field"),
    [
        ({"type": "http_request", "config": {"url": "not a url"}}, "steps[0].config.url"),
        (
            {
                "type": "http_request",
                "config": {"url": "https://x.example", "body": "{{ trigger.body."},
            },
            "steps[0].config.body",
        ),
        ({"type": "carrier_pigeon", "config": {}}, "steps[0].type"),
    ],
)
async def test_api_workflow_invalid_step_answers_400_naming_the_field(
    client: AsyncTestClient,
    api_user: ApiUser,
    step: dict,
    field: str,  # type: ignore[type-arg]
) -> None:
    answer = await client.post(
        "/api/v1/workflows", json=workflow_json(steps=[step]), headers=api_user.headers
    )
    assert answer.status_code == 400
    assert field in answer.json()["fields"]
    listed = await client.get("/api/v1/workflows", headers=api_user.headers)
    assert listed.json() == []


async def test_api_workflow_update_with_template_error_keeps_the_old_version(
    client: AsyncTestClient, api_user: ApiUser
) -> None:
    created = await create(client, api_user)
    broken = workflow_json(
        steps=[{**STEP, "config": {"url": "https://x.example", "body": "{% if %}"}}]
    )
    answer = await client.put(
        f"/api/v1/workflows/{created['id']}", json=broken, headers=api_user.headers
    )
    assert answer.status_code == 400
    assert "steps[0].config.body" in answer.json()["fields"]
    read = await client.get(f"/api/v1/workflows/{created['id']}", headers=api_user.headers)
    assert read.json()["steps"] == created["steps"]


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer hkl_not-a-real-token"}, {"Authorization": "Basic abc"}],
)
async def test_api_without_a_valid_token_answers_401(
    client: AsyncTestClient, headers: dict[str, str]
) -> None:
    answer = await client.get("/api/v1/workflows", headers=headers)
    assert answer.status_code == 401
    assert "API token" in answer.json()["error"]


async def test_api_another_users_workflow_answers_404_everywhere(
    client: AsyncTestClient, api_user: ApiUser, other_user: ApiUser
) -> None:
    theirs = await create(client, other_user)
    base = f"/api/v1/workflows/{theirs['id']}"
    me = api_user.headers
    assert (await client.get(base, headers=me)).status_code == 404
    assert (await client.put(base, json=workflow_json(), headers=me)).status_code == 404
    assert (await client.delete(base, headers=me)).status_code == 404
    assert (await client.get(f"{base}/runs", headers=me)).status_code == 404
    assert (await client.get(f"{base}/events", headers=me)).status_code == 404
    assert (await client.get("/api/v1/workflows", headers=me)).json() == []
    still = await client.get(base, headers=other_user.headers)
    assert still.json()["name"] == "Orders"


async def test_api_events_are_newest_first_in_pages(
    client: AsyncTestClient, api_user: ApiUser
) -> None:
    workflow = await create(client, api_user, steps=[])
    hook = workflow["hook_url"].removeprefix("http://testserver.local")
    event_ids = [(await client.post(hook, json={"n": n})).json()["event_id"] for n in range(5)]

    seen: list[int] = []
    url = f"/api/v1/workflows/{workflow['id']}/events?limit=2"
    while True:
        page = (await client.get(url, headers=api_user.headers)).json()
        seen.extend(item["id"] for item in page["items"])
        if page["next_before"] is None:
            break
        url = f"/api/v1/workflows/{workflow['id']}/events?limit=2&before={page['next_before']}"
    assert seen == list(reversed(event_ids))

    runs = (
        await client.get(
            f"/api/v1/workflows/{workflow['id']}/runs?limit=3", headers=api_user.headers
        )
    ).json()
    assert len(runs["items"]) == 3
    assert runs["items"][0]["event_id"] == event_ids[-1]
    assert runs["next_before"] == runs["items"][-1]["id"]


async def test_api_run_of_another_user_answers_404(
    client: AsyncTestClient, api_user: ApiUser, other_user: ApiUser
) -> None:
    theirs = await create(client, other_user, steps=[])
    await client.post(theirs["hook_url"].removeprefix("http://testserver.local"), json={})
    runs = (
        await client.get(f"/api/v1/workflows/{theirs['id']}/runs", headers=other_user.headers)
    ).json()
    run_id = runs["items"][0]["id"]
    assert (
        await client.get(f"/api/v1/runs/{run_id}", headers=other_user.headers)
    ).status_code == 200
    assert (await client.get(f"/api/v1/runs/{run_id}", headers=api_user.headers)).status_code == 404


async def test_api_schema_documents_the_workflow_routes(client: AsyncTestClient) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/workflows"])
    assert {"get", "put", "delete"} <= set(paths["/api/v1/workflows/{workflow_id}"])
    assert "get" in paths["/api/v1/workflows/{workflow_id}/runs"]
    assert "get" in paths["/api/v1/workflows/{workflow_id}/events"]
    assert "get" in paths["/api/v1/runs/{run_id}"]
    assert "Bearer" in schema["info"]["description"]


async def test_ids_too_large_for_the_database_answer_400_not_500(
    client: AsyncTestClient, api_user: ApiUser
) -> None:
    huge = "99999999999999999999999"
    for path in (
        f"/api/v1/workflows/{huge}",
        f"/api/v1/runs/{huge}",
        f"/api/v1/events/{huge}",
        f"/api/v1/workflows/1/runs?before={huge}",
    ):
        answer = await client.get(path, headers=api_user.headers)
        assert answer.status_code == 400, (path, answer.text)
        assert "9223372036854775807" in answer.json()["error"]  # names the limit
