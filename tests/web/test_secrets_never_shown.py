"""A secret saved in a workflow never comes back: not in pages, API answers, logs or history.

It is stored encrypted, yet the webhook edge still verifies signatures with it.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from litestar.testing import AsyncTestClient

from app.logs import QUIET_LOGGERS, configure_logging
from app.store.db import create_engine
from app.web.presenters import shown_response
from tests.conftest import ApiUser, wait_for
from tests.support.chat_webhooks import SLACK_PATH, serve_chat_webhooks
from tests.support.local_http import LocalServer
from tests.support.stored_rows import STEP_TABLES, stored_rows
from tests.web.hooks_support import github_signature

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
    signature = github_signature(SIGNING_SECRET, body)
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


async def _stored_rows_hold_no_plain_secret(
    client: AsyncTestClient,  # type: ignore[type-arg]
    secrets: tuple[str, ...] = SECRETS,
) -> bool:
    stored = await stored_rows(client, ("workflow", *STEP_TABLES))
    assert any("hookline-sealed:v1:" in row for row in stored), "secrets should be stored sealed"
    return not any(secret in row for row in stored for secret in secrets)


SLACK_SECRET = SLACK_PATH.rsplit("/", 1)[1]


@pytest.fixture
def chat() -> Iterator[LocalServer]:
    yield from serve_chat_webhooks()


@pytest.fixture
def production_logging() -> Iterator[io.StringIO]:
    """The real logging setup (JSON lines), its handler writing into a buffer; undone after."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    quiet = {name: logging.getLogger(name).level for name in QUIET_LOGGERS}
    access = logging.getLogger("uvicorn.access")
    access_filters = list(access.filters)
    # An in-process uvicorn started earlier in this worker (live-server tests) applies its
    # default log config: access lines at WARNING, not propagated. Production runs uvicorn
    # with log_config=None, so put uvicorn's loggers back to that for this test.
    uvicorn_loggers = [logging.getLogger("uvicorn"), access]
    saved = [(lg.level, lg.propagate, lg.disabled, list(lg.handlers)) for lg in uvicorn_loggers]
    for uvicorn_logger in uvicorn_loggers:
        uvicorn_logger.setLevel(logging.NOTSET)
        uvicorn_logger.propagate, uvicorn_logger.disabled = True, False
        uvicorn_logger.handlers[:] = []
    configure_logging(level="DEBUG", log_format="json")
    buffer = io.StringIO()
    (handler,) = root.handlers
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)
    yield buffer
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, old in quiet.items():
        logging.getLogger(name).setLevel(old)
    access.filters[:] = access_filters
    for uvicorn_logger, state in zip(uvicorn_loggers, saved, strict=True):
        uvicorn_logger.level, uvicorn_logger.propagate, uvicorn_logger.disabled = state[:3]
        uvicorn_logger.handlers[:] = state[3]
    logging.captureWarnings(False)


async def test_a_slack_webhook_url_is_hidden_in_the_api_and_never_logged(
    client: AsyncTestClient,  # type: ignore[type-arg]
    api_user: ApiUser,
    chat: LocalServer,
    production_logging: io.StringIO,
) -> None:
    definition = {
        "name": "To Slack",
        "steps": [
            {
                "type": "slack_message",
                "config": {
                    "webhook_url": chat.url(SLACK_PATH),
                    "text": "Paid {{ trigger.body.n }}",
                },
            }
        ],
    }
    created = await client.post("/api/v1/workflows", json=definition, headers=api_user.headers)
    assert created.status_code == 201, created.text
    workflow = created.json()
    hook_path = workflow["hook_url"].removeprefix("http://testserver.local")
    accepted = await client.post(hook_path, json={"n": 5})
    assert accepted.status_code == 202, accepted.text

    async def finished_run() -> dict | None:
        runs = (
            await client.get(f"/api/v1/workflows/{workflow['id']}/runs", headers=api_user.headers)
        ).json()["items"]
        return runs[0] if runs and runs[0]["status"] in ("succeeded", "failed") else None

    run = await wait_for(finished_run)
    assert run["status"] == "succeeded" and len(chat.received) == 1
    run_answer = await client.get(f"/api/v1/runs/{run['id']}", headers=api_user.headers)
    attempt = run_answer.json()["steps"][0]
    assert attempt["response"]["final_url"] == chat.url("/[hidden]")
    assert attempt["request"]["url"] == chat.url("/[hidden]")
    seen = [
        run_answer.text,
        (await client.get(f"/api/v1/workflows/{workflow['id']}", headers=api_user.headers)).text,
        (await client.get(f"/api/v1/events/{run['event_id']}", headers=api_user.headers)).text,
    ]
    token = hook_path.rsplit("/", 1)[1]
    logging.getLogger("uvicorn.access").info(  # the line uvicorn writes for each request
        '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "POST", hook_path, "1.1", 202
    )
    logged = production_logging.getvalue()
    assert f'"run_id": {run["id"]}' in logged, "the run's own lines were captured"
    assert "/hooks/[hidden]" in logged
    assert not any(SLACK_SECRET in text_ for text_ in seen), "the webhook URL was shown back"
    assert SLACK_SECRET not in logged and token not in logged, "a secret URL reached the log"
    assert await _stored_rows_hold_no_plain_secret(client, secrets=(SLACK_SECRET,))


def test_a_run_recorded_before_the_fix_shows_its_webhook_url_hidden() -> None:
    request = {"method": "POST", "url": "https://hooks.slack.com/[hidden]"}
    response = {"status": 200, "final_url": "https://hooks.slack.com/services/T/B/" + SLACK_SECRET}
    shown = shown_response(request, response)
    assert shown is not None and shown["final_url"] == "https://hooks.slack.com/[hidden]"
    plain = {"url": "https://api.example.com/orders"}
    assert shown_response(plain, {"final_url": "https://api.example.com/orders/2"}) == {
        "final_url": "https://api.example.com/orders/2"
    }
