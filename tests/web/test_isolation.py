"""Tenant isolation: every route, with user B, against user A's objects, answers 404.

Routes are read from the app itself, so a route added later is covered (or must be
listed in NO_OBJECT_ROUTES with the reason it carries no object id).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bs4 import BeautifulSoup
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient

from tests.conftest import ApiUser, wait_for

# Every route parameter that names an object, and which of user A's objects it gets.
OBJECT_PARAMS = {
    "workflow_id": "workflow",
    "run_id": "run",
    "event_id": "event",
    "token_id": "token",
    "bulk_replay_id": "bulk_replay",
}
NO_OBJECT_ROUTES = {
    "/": "the signed-in user's own dashboard",
    "/workflows/new": "creates a workflow in the caller's own account",
    "/account": "the caller's own account page",
    "/help/templates": "the same reference page for everyone",
    "/account/tokens": "creates a token in the caller's own account",
    "/account/password": "changes the caller's own password",
    "/account/sessions/end-others": "signs out the caller's own other browsers",
    "/api/v1/workflows": "lists/creates the caller's own workflows",
    "/signin": "public",
    "/signup": "public",
    "/signout": "ends the caller's session",
    "/auth/{provider_name:str}/login": "public sign-in redirect",
    "/auth/{provider_name:str}/callback": "public sign-in callback",
    "/hooks/{token:str}": "public webhook edge, addressed by an unguessable token",
    "/hooks/{token:str}/": "public webhook edge, addressed by an unguessable token",
    "/health": "public",
    "/healthz": "public",
    "/readyz": "public",
    "/backlog": "public: run counts and ages only, no one's data",
    "/livez": "public",
    "/static": "public files",
}
PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


@dataclass(frozen=True)
class Probe:
    method: str
    path: str


def probes(app: Litestar) -> tuple[list[tuple[str, Probe]], list[str]]:
    """(object kind, request) for every route method holding an object id; unexplained rest."""
    found, unexplained = [], []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        params = PARAM.findall(route.path)
        kinds = [OBJECT_PARAMS[p] for p in params if p in OBJECT_PARAMS]
        if not kinds:
            if route.path not in NO_OBJECT_ROUTES and not route.path.startswith(
                ("/schema", "/static")
            ):
                unexplained.append(route.path)
            continue
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            found.append((kinds[0], Probe(method, route.path)))
    return found, unexplained


def fill(path: str, ids: dict[str, int]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        return str(ids[OBJECT_PARAMS[name]]) if name in OBJECT_PARAMS else "0"

    return PARAM.sub(value, path)


async def user_a_objects(client: AsyncTestClient, alice: ApiUser, sink_url: str) -> dict[str, int]:  # type: ignore[type-arg]
    created = await client.post(
        "/api/v1/workflows",
        json={
            "name": "A's",
            "steps": [{"type": "http_request", "config": {"method": "POST", "url": sink_url}}],
        },
        headers=alice.headers,
    )
    assert created.status_code == 201, created.text
    workflow = created.json()
    hook = await client.post(
        workflow["hook_url"].removeprefix("http://testserver.local"), json={"a": 1}
    )
    assert hook.status_code in (200, 202), hook.text

    async def first(kind: str) -> int | None:
        page = await client.get(f"/api/v1/workflows/{workflow['id']}/{kind}", headers=alice.headers)
        items = page.json()["items"]
        return items[0]["id"] if items else None

    return {
        "workflow": workflow["id"],
        "event": await wait_for(lambda: first("events")),
        "run": await wait_for(lambda: first("runs")),
        "token": await _alice_token_id(client, alice),
        "bulk_replay": await _alice_bulk_replay_id(client, workflow["id"]),
    }


async def _alice_bulk_replay_id(client: AsyncTestClient, workflow_id: int) -> int:  # type: ignore[type-arg]
    from app.store.db import create_engine, create_session_factory, transaction
    from app.store.tables import BulkReplay, utcnow

    engine = create_engine(client.app.state.settings.database)
    async with transaction(create_session_factory(engine)) as session:
        now = utcnow()
        replay = BulkReplay(workflow_id=workflow_id, range_from=now, range_to=now, finished_at=now)
        session.add(replay)
        await session.flush()
        replay_id = replay.id
    await engine.dispose()
    assert replay_id is not None
    return replay_id


async def _alice_token_id(client: AsyncTestClient, alice: ApiUser) -> int:  # type: ignore[type-arg]
    from app.store.db import create_engine, create_session_factory, transaction
    from app.store.users import list_api_tokens

    engine = create_engine(client.app.state.settings.database)
    async with transaction(create_session_factory(engine)) as session:
        tokens = await list_api_tokens(session, user_id=alice.id)
    await engine.dispose()
    assert tokens[0].id is not None
    return tokens[0].id


async def sign_in_b(client: AsyncTestClient) -> dict[str, str]:  # type: ignore[type-arg]
    """User B: a browser session and an API token, sent together on every probe."""
    page = await client.get("/signup")
    csrf = BeautifulSoup(page.text, "html.parser").find("input", {"name": "_csrf_token"})["value"]
    await client.post(
        "/signup",
        data={"email": "mallory@example.com", "password": "mallory-password", "_csrf_token": csrf},
    )
    created = await client.post("/account/tokens", data={"name": "b", "_csrf_token": csrf})
    token = BeautifulSoup(created.text, "html.parser").select_one("#new-token-value")["value"]
    return {
        "Authorization": f"Bearer {token}",
        "x-csrftoken": client.cookies.get("hookline_csrf", ""),
    }


async def test_every_route_hides_other_users_objects(
    client: AsyncTestClient, api_user: ApiUser, sink
) -> None:  # type: ignore[type-arg]
    found, unexplained = probes(client.app)
    assert not unexplained, (
        f"routes without an object id must be listed with a reason: {unexplained}"
    )
    assert {kind for kind, _ in found} >= {"workflow", "run", "event", "token"}
    ids = await user_a_objects(client, api_user, sink.url("/in"))
    headers = await sign_in_b(client)
    answers = {}
    for _kind, probe in found:
        body = (
            {"json": {"name": "x", "steps": []}}
            if probe.path.startswith("/api/") and probe.method in ("PUT", "POST", "PATCH")
            else {"data": {"_csrf_token": headers["x-csrftoken"]}}
        )
        response = await client.request(
            probe.method, fill(probe.path, ids), headers=headers, follow_redirects=False, **body
        )
        answers[f"{probe.method} {probe.path}"] = response.status_code
    leaks = {route: status for route, status in answers.items() if status != 404}
    assert not leaks, f"these routes did not answer 404 to another user: {leaks}"
    # and A still sees everything (the 404s above were about ownership, not broken routes)
    assert (
        await client.get(f"/api/v1/workflows/{ids['workflow']}", headers=api_user.headers)
    ).status_code == 200
    assert (
        await client.get(f"/api/v1/runs/{ids['run']}", headers=api_user.headers)
    ).status_code == 200


async def test_every_state_changing_page_refuses_a_post_without_csrf_token(
    client: AsyncTestClient, api_user: ApiUser
) -> None:  # type: ignore[type-arg]
    await sign_in_b(client)
    checked = []
    for route in client.app.routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith(("/hooks/", "/api/")):
            continue
        for method in sorted(route.methods & {"POST", "PUT", "PATCH", "DELETE"}):
            path = PARAM.sub("1", route.path)
            response = await client.request(
                method, path, data={"anything": "1"}, follow_redirects=False
            )
            assert response.status_code == 403, (
                f"{method} {route.path} answered {response.status_code}"
            )
            checked.append(f"{method} {route.path}")
    assert "POST /signout" in checked and "POST /account/tokens" in checked
