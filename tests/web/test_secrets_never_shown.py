"""A secret saved in a workflow never comes back: not in pages, API answers, logs or history.

It is stored encrypted, yet the webhook edge still verifies signatures with it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import text

from app.store.db import create_engine
from tests.conftest import ApiUser, wait_for

SIGNING_SECRET = "shhh-signing-secret-7f3a9c"
VERIFY_TOKEN = "meta-verify-token-5e1d"
SECRETS = (SIGNING_SECRET, VERIFY_TOKEN)


async def test_saved_secrets_are_masked_everywhere_and_still_work(
    client: AsyncTestClient,
    api_user: ApiUser,
    sink,
    caplog: pytest.LogCaptureFixture,  # type: ignore[type-arg]
) -> None:
    caplog.set_level(logging.DEBUG)
    definition = {
        "name": "Signed",
        "trigger": {
            "signature": {"preset": "github", "secret": SIGNING_SECRET},
            "handshake": {"preset": "meta", "verify_token": VERIFY_TOKEN},
        },
        "steps": [{"type": "http_request", "config": {"method": "POST", "url": sink.url("/in")}}],
    }
    created = await client.post("/api/v1/workflows", json=definition, headers=api_user.headers)
    assert created.status_code == 201, created.text
    workflow = created.json()
    assert workflow["trigger"]["signature"]["secret"] == "••••" + SIGNING_SECRET[-4:]

    # an update sending the masked value back keeps the real secret
    replaced = await client.put(
        f"/api/v1/workflows/{workflow['id']}",
        json={**definition, "trigger": workflow["trigger"]},
        headers=api_user.headers,
    )
    assert replaced.status_code == 200, replaced.text

    body = json.dumps({"zen": "Keep it logically awesome."}).encode()
    signature = "sha256=" + hmac.new(SIGNING_SECRET.encode(), body, hashlib.sha256).hexdigest()
    path = workflow["hook_url"].removeprefix("http://testserver.local")
    headers = {
        "Content-Type": "application/json",
        "X-GitHub-Event": "ping",
        "X-GitHub-Delivery": "d-1",
        "X-Hub-Signature-256": signature,
    }
    accepted = await client.post(path, content=body, headers=headers)
    assert accepted.status_code in (200, 202), accepted.text
    forged = await client.post(
        path,
        content=body,
        headers={
            **headers,
            "X-Hub-Signature-256": "sha256=" + "0" * 64,
            "X-GitHub-Delivery": "d-2",
        },
    )
    assert forged.status_code in (401, 403)

    async def finished_run() -> dict | None:
        runs = (
            await client.get(f"/api/v1/workflows/{workflow['id']}/runs", headers=api_user.headers)
        ).json()["items"]
        return runs[0] if runs and runs[0]["status"] in ("succeeded", "failed") else None

    run = await wait_for(finished_run)
    seen = [
        (await client.get(f"/api/v1/workflows/{workflow['id']}", headers=api_user.headers)).text,
        (await client.get("/api/v1/workflows", headers=api_user.headers)).text,
        (await client.get(f"/api/v1/runs/{run['id']}", headers=api_user.headers)).text,
        (
            await client.get(f"/api/v1/workflows/{workflow['id']}/events", headers=api_user.headers)
        ).text,
        caplog.text,
    ]
    await _sign_in_as_owner(client, api_user)
    for page in (
        "/",
        f"/workflows/{workflow['id']}",
        f"/workflows/{workflow['id']}/edit",
        f"/runs/{run['id']}",
        f"/events/{run['event_id']}",
    ):
        answer = await client.get(page)
        assert answer.status_code == 200, page
        seen.append(answer.text)
    for secret in SECRETS:
        assert not any(secret in text_ for text_ in seen), f"{secret} was shown back"
    assert await _stored_rows_hold_no_plain_secret(client)


async def _sign_in_as_owner(client: AsyncTestClient, user: ApiUser) -> None:  # type: ignore[type-arg]
    from app.auth.passwords import hash_password
    from app.store.db import create_session_factory, transaction
    from app.store.users import get_user

    engine = create_engine(client.app.state.settings.database)
    async with transaction(create_session_factory(engine)) as session:
        owner = await get_user(session, user_id=user.id)
        assert owner is not None
        owner.password_hash = hash_password("owner-password-1")
        session.add(owner)
    await engine.dispose()
    from bs4 import BeautifulSoup

    csrf = BeautifulSoup((await client.get("/signin")).text, "html.parser").find(
        "input", {"name": "_csrf_token"}
    )["value"]
    await client.post(
        "/signin", data={"email": user.email, "password": "owner-password-1", "_csrf_token": csrf}
    )


async def _stored_rows_hold_no_plain_secret(client: AsyncTestClient) -> bool:  # type: ignore[type-arg]
    engine = create_engine(client.app.state.settings.database)
    async with engine.connect() as connection:
        stored = [
            repr(tuple(row))  # str(row) elides long values, hiding what we look for
            for table in ("workflow", "step", "run", "step_attempt")
            for row in (await connection.execute(text(f"SELECT * FROM {table}"))).all()
        ]
    await engine.dispose()
    assert any("hookline-sealed:v1:" in row for row in stored), "secrets should be stored sealed"
    return not any(secret in row for row in stored for secret in SECRETS)
