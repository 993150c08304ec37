"""The webhook URL over real HTTP (uvicorn on 127.0.0.1): what the ASGI test client cannot
show, such as repeated headers, chunked bodies and many connections at once."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from app.settings import InboundSettings, Settings
from tests.conftest import make_api_user
from tests.web.hooks_support import github_signature

SECRET = "live-secret"


@pytest.fixture
def live_url(settings: Settings) -> Iterator[str]:
    """The whole app (web + embedded worker) served by uvicorn on a free port."""
    from app.web.asgi import create_app

    limited = settings.model_copy(update={"inbound": InboundSettings(max_body_bytes=1024)})
    config = uvicorn.Config(
        create_app(limited, embedded_worker=True), host="127.0.0.1", port=0, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=15)


async def _hook(
    http: httpx.AsyncClient, settings: Settings, trigger: dict
) -> tuple[int, str, dict]:  # type: ignore[type-arg]
    user = await make_api_user(settings, f"{uuid.uuid4().hex[:8]}@example.com")
    answer = await http.post(
        "/api/v1/workflows",
        json={"name": "Live", "enabled": True, "steps": [], "trigger": trigger},
        headers=user.headers,
    )
    assert answer.status_code == 201, answer.text
    path = "/hooks/" + answer.json()["hook_url"].rsplit("/hooks/", 1)[1]
    return answer.json()["id"], path, user.headers


async def test_live_repeated_headers_are_kept_in_order(live_url: str, settings: Settings) -> None:
    async with httpx.AsyncClient(base_url=live_url) as http:
        _, path, auth = await _hook(http, settings, {})
        sent = await http.post(
            path,
            content=b"{}",
            headers=[("Content-Type", "application/json"), ("X-Tag", "one"), ("X-Tag", "two")],
        )
        assert sent.status_code == 202
        detail = (await http.get(f"/api/v1/events/{sent.json()['event_id']}", headers=auth)).json()
    assert [v for n, v in detail["headers"] if n.lower() == "x-tag"] == ["one", "two"]


async def test_live_chunked_body_over_the_limit_is_413_and_not_stored(
    live_url: str, settings: Settings
) -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(4):
            yield b"y" * 400

    async with httpx.AsyncClient(base_url=live_url) as http:
        workflow_id, path, auth = await _hook(http, settings, {})
        answer = await http.post(path, content=chunks())
        events = await http.get(f"/api/v1/workflows/{workflow_id}/events", headers=auth)
    assert answer.status_code == 413
    assert events.json()["items"] == []


async def test_live_fifty_simultaneous_copies_of_a_delivery_run_once(
    live_url: str, settings: Settings
) -> None:
    body = b'{"ref": "refs/heads/main"}'
    headers = {
        "Content-Type": "application/json",
        "X-GitHub-Delivery": str(uuid.uuid4()),
        "X-Hub-Signature-256": github_signature(SECRET, body),
    }
    limits = httpx.Limits(max_connections=50)
    async with httpx.AsyncClient(base_url=live_url, limits=limits, timeout=30) as http:
        trigger = {"signature": {"preset": "github", "secret": SECRET}}
        workflow_id, path, auth = await _hook(http, settings, trigger)
        answers = await asyncio.gather(
            *(http.post(path, content=body, headers=headers) for _ in range(50))
        )
        runs = await http.get(f"/api/v1/workflows/{workflow_id}/runs", headers=auth)
    assert {a.status_code for a in answers} == {202}
    assert sum(1 for a in answers if "duplicate" not in a.json()) == 1
    assert len(runs.json()["items"]) == 1
