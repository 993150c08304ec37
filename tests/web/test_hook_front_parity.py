"""The raw-ASGI hook front answers exactly as the Litestar route does (app/web/hook_front.py).

Each scenario runs twice on one app: once through the front, once with the front turned
off (Litestar routing to `receive_hook`), each time on its own fresh workflow. Status,
every header in order and the body must match, once event ids (which differ between the
two runs) are masked. A spy on `Litestar.__call__` checks that the front really answered.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from types import SimpleNamespace
from typing import Any

import anyio.to_thread
import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from app.settings import InboundSettings, Settings
from app.web.hook_front import HookFrontApp
from tests.conftest import ApiUser
from tests.web.hooks_support import BASE, github_headers, make_hook

Client = AsyncTestClient  # type: ignore[type-arg]
Scenario = Callable[[], Awaitable[httpx.Response]]
LIMIT = 1024


@pytest.fixture
async def edge(settings: Settings) -> AsyncIterator[Client]:
    """A web-only app with a 1 kB body limit and 3 requests per hook per minute."""
    from app.web.asgi import create_app

    limited = settings.model_copy(
        update={"inbound": InboundSettings(max_body_bytes=LIMIT, rate_limit_per_minute=3)}
    )
    async with AsyncTestClient(app=create_app(limited), base_url=BASE) as client:
        yield client


@pytest.fixture
def litestar_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Paths of the requests that reached Litestar's own entry point."""
    seen: list[str] = []
    original = Litestar.__call__

    async def spy(self: Litestar, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            seen.append(scope["path"])
        await original(self, scope, receive, send)

    monkeypatch.setattr(Litestar, "__call__", spy)
    yield seen


def masked(answer: httpx.Response) -> tuple[int, list[tuple[str, str]], Any]:
    """Status, headers and body with event ids and error references masked."""
    assert int(answer.headers.get("content-length", len(answer.content))) == len(answer.content)
    headers = [
        (name, "ID" if name == "x-hookline-event-id" else value)
        for name, value in answer.headers.multi_items()
        if name != "content-length"
    ]
    body: Any = answer.content
    if answer.headers.get("content-type") == "application/json" and body:
        body = json.loads(body)
        for key in ("event_id", "duplicate_of"):
            if key in body:
                body[key] = "ID"
        if "error" in body:
            body["error"] = re.sub(r"reference [0-9a-f]+", "reference R", body["error"])
    elif "x-hookline-event-id" in answer.headers:
        body = body.replace(answer.headers["x-hookline-event-id"].encode(), b"ID")
    return answer.status_code, headers, body


async def through_both(
    client: Client, calls: list[str], scenario: Scenario, *, front_answers: bool = True
) -> httpx.Response:
    """Run the scenario via the front and via Litestar; assert equal answers; return one."""
    app = client.app
    assert isinstance(app, HookFrontApp)
    answers = []
    for front in (True, False):
        app.hook_front = front
        calls.clear()
        answers.append(await scenario())
        reached_litestar = any(path.startswith("/hooks/") for path in calls)
        assert reached_litestar is (not front or not front_answers)
    app.hook_front = True
    assert masked(answers[0]) == masked(answers[1])
    return answers[0]


async def test_accepted_json_post_answers_the_same(
    edge: Client, api_user: ApiUser, litestar_calls: list[str]
) -> None:
    async def post() -> httpx.Response:
        _, path = await make_hook(edge, api_user)
        return await edge.post(path, json={"order": 1, "note": "x" * 500})

    answer = await through_both(edge, litestar_calls, post)
    assert answer.status_code == 202
    assert answer.headers["x-content-type-options"] == "nosniff"


async def test_trailing_slash_query_and_held_event_answer_the_same(
    edge: Client, api_user: ApiUser, litestar_calls: list[str]
) -> None:
    async def post() -> httpx.Response:
        _, path = await make_hook(edge, api_user, enabled=False)
        return await edge.post(path + "/?a=1&a=2&b=%20", content=b"plain text")

    assert (await through_both(edge, litestar_calls, post)).status_code == 202


async def test_duplicate_delivery_answers_the_same(
    edge: Client, api_user: ApiUser, litestar_calls: list[str]
) -> None:
    async def post_twice() -> httpx.Response:
        _, path = await make_hook(edge, api_user, {"dedupe": {"header": "X-Request-Id"}})
        await edge.post(path, json={"n": 1}, headers={"X-Request-Id": "d-1"})
        return await edge.post(path, json={"n": 1}, headers={"X-Request-Id": "d-1"})

    answer = await through_both(edge, litestar_calls, post_twice)
    assert answer.headers["x-hookline-duplicate"] == "true"


async def test_unknown_and_rotated_urls_answer_the_same(
    edge: Client, api_user: ApiUser, litestar_calls: list[str]
) -> None:
    async def unknown() -> httpx.Response:
        return await edge.post("/hooks/no-such-token", json={})

    async def rotated() -> httpx.Response:
        workflow_id, path = await make_hook(edge, api_user)
        turned = await edge.post(
            f"/api/v1/workflows/{workflow_id}/rotate-url", headers=api_user.headers
        )
        assert turned.status_code == 200
        return await edge.post(path, json={})

    assert (await through_both(edge, litestar_calls, unknown)).status_code == 404
    assert (await through_both(edge, litestar_calls, rotated)).status_code == 410


async def test_too_large_bodies_get_litestars_own_413(
    edge: Client, api_user: ApiUser, litestar_calls: list[str]
) -> None:
    async def announced() -> httpx.Response:
        _, path = await make_hook(edge, api_user)
        return await edge.post(path, content=b"x" * (LIMIT + 1))

    answer = await through_both(edge, litestar_calls, announced, front_answers=False)
    assert answer.status_code == 413


async def test_bad_signature_and_rate_limit_answer_the_same(
    edge: Client, api_user: ApiUser, litestar_calls: list[str]
) -> None:
    body = b'{"ref": "main"}'

    async def forged() -> httpx.Response:
        _, path = await make_hook(
            edge, api_user, {"signature": {"preset": "github", "secret": "s"}}
        )
        return await edge.post(path, content=body, headers=github_headers("not s", body))

    async def flood() -> httpx.Response:
        _, path = await make_hook(edge, api_user)
        for n in range(3):
            await edge.post(path, json={"n": n})
        return await edge.post(path, json={"n": 3})

    assert (await through_both(edge, litestar_calls, forged)).status_code == 401
    limited = await through_both(edge, litestar_calls, flood)
    assert limited.status_code == 429 and "retry-after" in limited.headers


async def test_methods_handshakes_and_custom_answers_are_the_same(
    edge: Client, api_user: ApiUser, litestar_calls: list[str]
) -> None:
    post_only = {"methods": ["POST"], "allow_browser_senders": True}
    custom = {
        "allow_browser_senders": True,
        "response": {
            "status": 200,
            "content_type": "application/xml",
            "body": "<ok n='{{ event_id }}'/>",
        },
    }
    cases: list[tuple[dict[str, Any], str, str, int]] = [
        (post_only, "PUT", "", 405),
        (post_only, "GET", "", 200),
        (post_only, "HEAD", "", 200),
        (post_only, "OPTIONS", "", 204),
        ({}, "OPTIONS", "", 204),
        ({"handshake": {"preset": "echo", "echo_param": "token"}}, "POST", "?token=a%20b", 200),
        (custom, "POST", "", 200),
        ({"response": {"status": 204}}, "POST", "", 500),  # Litestar refuses a 204 with a body
    ]
    for trigger, method, query, status in cases:

        async def send(
            trigger: dict[str, Any] = trigger, method: str = method, query: str = query
        ) -> httpx.Response:
            _, path = await make_hook(edge, api_user, trigger)
            return await edge.request(method, path + query, content=b"{}")

        assert (await through_both(edge, litestar_calls, send)).status_code == status, (
            trigger,
            method,
        )


async def test_methods_outside_the_route_are_left_to_litestar(
    edge: Client, api_user: ApiUser, litestar_calls: list[str]
) -> None:
    async def trace() -> httpx.Response:
        _, path = await make_hook(edge, api_user)
        return await edge.request("TRACE", path)

    answer = await through_both(edge, litestar_calls, trace, front_answers=False)
    assert answer.status_code == 405


async def test_database_down_backlog_and_unexpected_errors_answer_the_same(
    edge: Client, api_user: ApiUser, litestar_calls: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import app.web.controllers.hooks as hooks

    _, path = await make_hook(edge, api_user)

    async def post() -> httpx.Response:
        return await edge.post(path, json={"n": 1})

    async def cannot_store(*args: Any, **kwargs: Any) -> Any:
        raise sqlite3.OperationalError("disk I/O error")

    def broken_reply(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    with monkeypatch.context() as patched:
        patched.setattr(hooks, "_store", cannot_store)
        down = await through_both(edge, litestar_calls, post)
    assert (down.status_code, down.headers["retry-after"]) == (503, "30")

    with monkeypatch.context() as patched:
        patched.setattr(hooks, "reply_for", broken_reply)
        failed = await through_both(edge, litestar_calls, post)
    assert failed.status_code == 500 and "reference" in failed.json()["error"]

    state = edge.app.state
    bounded = state.settings.model_copy(update={"inbound": InboundSettings(max_backlog=1)})
    with monkeypatch.context() as patched:
        patched.setattr(state, "settings", bounded, raising=False)
        patched.setattr(
            state, "backlog_gauge", SimpleNamespace(queued_runs=lambda: 5), raising=False
        )
        busy = await through_both(edge, litestar_calls, post)
    assert (busy.status_code, busy.headers["retry-after"]) == (503, "30")


async def on_app_loop(
    client: Client, app: HookFrontApp, scope: dict[str, Any], messages: list[Any]
) -> list[Any]:
    """`raw_exchange` on the loop the client runs the app on (its database pool lives there)."""
    portal = client.blocking_portal
    return await anyio.to_thread.run_sync(portal.call, raw_exchange, app, scope, messages)


async def raw_exchange(app: HookFrontApp, scope: dict[str, Any], messages: list[Any]) -> list[Any]:
    """Call the app as a server would; return what it sent."""
    pending = list(messages)
    sent: list[Any] = []

    async def receive() -> Any:
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


def raw_scope(path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {
        "type": "http",
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "server": ("testserver.local", 80),
        "client": ("127.0.0.1", 5000),
        "headers": headers,
    }


def masked_raw(sent: list[Any]) -> tuple[int, list[tuple[bytes, bytes]], Any]:
    start, body = sent
    headers = [
        (name, b"ID" if name == b"x-hookline-event-id" else value)
        for name, value in start["headers"]
        if name != b"content-length"
    ]
    return start["status"], headers, re.sub(rb"\d+", b"N", body["body"])


async def test_chunked_malformed_and_abandoned_bodies_answer_the_same(
    edge: Client, api_user: ApiUser, litestar_calls: list[str]
) -> None:
    """Bodies in pieces (no Content-Length), a bad Content-Length, a client gone mid-body."""
    app = edge.app
    assert isinstance(app, HookFrontApp)
    more = {"type": "http.request", "body": b"y" * 600, "more_body": True}
    last = {"type": "http.request", "body": b"y" * 400, "more_body": False}
    cases: list[tuple[list[tuple[bytes, bytes]], list[Any], int]] = [
        ([], [more, last], 202),
        ([], [more, more], 413),
        ([(b"content-length", b"many")], [last], 400),
        ([], [more], 500),  # then the client disconnects
    ]
    for headers, messages, status in cases:
        answers = []
        for front in (True, False):
            _, path = await make_hook(edge, api_user)
            app.hook_front = front
            answers.append(await on_app_loop(edge, app, raw_scope(path, headers), messages))
        app.hook_front = True
        assert masked_raw(answers[0]) == masked_raw(answers[1])
        assert answers[0][0]["status"] == status
