"""Helpers for webhook-edge tests: a workflow with a given trigger, its hook path, its events."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from litestar.testing import AsyncTestClient

from tests.conftest import ApiUser

BASE = "http://testserver.local"


async def make_hook(
    client: AsyncTestClient,  # type: ignore[type-arg]
    user: ApiUser,
    trigger: dict[str, Any] | None = None,
    *,
    enabled: bool = True,
    steps: list[dict[str, Any]] | None = None,
) -> tuple[int, str]:
    """Create a workflow through the API; returns its id and inbound path."""
    payload: dict[str, Any] = {"name": "Hook test", "enabled": enabled, "steps": steps or []}
    if trigger is not None:
        payload["trigger"] = trigger
    answer = await client.post("/api/v1/workflows", json=payload, headers=user.headers)
    assert answer.status_code == 201, answer.text
    workflow = answer.json()
    return workflow["id"], workflow["hook_url"].removeprefix(BASE)


async def _listed(
    client: AsyncTestClient,  # type: ignore[type-arg]
    user: ApiUser,
    path: str,
) -> list[dict[str, Any]]:
    answer = await client.get(f"{path}?limit=200", headers=user.headers)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


async def events_of(
    client: AsyncTestClient,  # type: ignore[type-arg]
    user: ApiUser,
    workflow_id: int,
) -> list[dict[str, Any]]:
    """The workflow's stored events, newest first."""
    return await _listed(client, user, f"/api/v1/workflows/{workflow_id}/events")


async def runs_of(
    client: AsyncTestClient,  # type: ignore[type-arg]
    user: ApiUser,
    workflow_id: int,
) -> list[dict[str, Any]]:
    """The workflow's runs, newest first."""
    return await _listed(client, user, f"/api/v1/workflows/{workflow_id}/runs")


async def event_detail(
    client: AsyncTestClient,  # type: ignore[type-arg]
    user: ApiUser,
    event_id: int,
) -> dict[str, Any]:
    answer = await client.get(f"/api/v1/events/{event_id}", headers=user.headers)
    assert answer.status_code == 200, answer.text
    detail: dict[str, Any] = answer.json()
    return detail


def github_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def github_headers(secret: str, body: bytes, *, delivery: str | None = None) -> dict[str, str]:
    """A JSON POST signed the way GitHub signs it; with `delivery`, also a push event's
    `X-GitHub-Event` and `X-GitHub-Delivery` (the id repeated deliveries share)."""
    headers = {"Content-Type": "application/json"}
    if delivery is not None:
        headers |= {"X-GitHub-Event": "push", "X-GitHub-Delivery": delivery}
    return headers | {"X-Hub-Signature-256": github_signature(secret, body)}
