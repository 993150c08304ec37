"""`hookline serve` at the default log level: a Slack step's secret webhook URL never
reaches the logs (httpx/httpcore request lines are kept to warnings)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.chat_webhooks import SLACK_PATH, serve_chat_webhooks
from tests.support.local_http import LocalServer
from tests.test_cli import free_port, hookline, running, wait_for_finished_run

SLACK_SECRET = SLACK_PATH.rsplit("/", 1)[1]


@pytest.fixture
def chat() -> Iterator[LocalServer]:
    yield from serve_chat_webhooks()


def test_cli_serve_keeps_the_slack_webhook_url_out_of_the_logs(
    tmp_path: Path, chat: LocalServer
) -> None:
    port = free_port()
    env = {"PORT": str(port), "OUTBOUND_ALLOW_NETWORKS": "127.0.0.0/8"}
    with running(tmp_path, "serve", port=port, **env) as base:
        created = hookline(tmp_path, "users", "create", "ops@example.com", "--api-token", **env)
        assert created.returncode == 0, created.stderr
        headers = {"Authorization": f"Bearer {created.stdout.strip().rsplit(' ', 1)[-1]}"}
        step = {
            "type": "slack_message",
            "config": {"webhook_url": chat.url(SLACK_PATH), "text": "New order"},
        }
        workflow = httpx.post(
            f"{base}/api/v1/workflows",
            json={"name": "Tell Slack", "steps": [step]},
            headers=headers,
        ).json()
        assert httpx.post(workflow["hook_url"], json={"id": 1}).status_code == 202
        run = wait_for_finished_run(base, headers, workflow["id"])
        assert run["status"] == "succeeded", run
        assert chat.received and chat.received[0].path == SLACK_PATH
    logs = (tmp_path / f"hookline-{port}.log").read_text()
    assert "step finished" in logs  # the worker did log at the default level
    assert SLACK_SECRET not in logs
