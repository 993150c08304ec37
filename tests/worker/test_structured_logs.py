"""Intake and worker log lines are JSON objects carrying the run, event, workflow and step ids."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from app.logs import build_handler
from app.settings import AppSettings, Settings
from tests.conftest import TEST_SECRET, ApiUser
from tests.support.local_http import LocalServer
from tests.worker.conftest import (
    app_client,
    create_workflow,
    http_step,
    latest_finished_run,
    post_hook,
)


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """What the JSON handler writes, for the hookline loggers at INFO."""
    stream = io.StringIO()
    handler = build_handler("json", stream)
    logger = logging.getLogger("hookline")
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield stream
    logger.removeHandler(handler)
    logger.setLevel(previous)


async def test_a_step_run_logs_json_lines_with_its_ids(
    settings: Settings, api_user: ApiUser, sink: LocalServer, json_log: io.StringIO
) -> None:
    async with app_client(settings) as client:
        workflow = await create_workflow(client, api_user, [http_step(sink.url("/in"))])
        event_id = await post_hook(client, workflow, b'{"note": "private-note-4711"}')
        run = await latest_finished_run(client, api_user, workflow["id"])
    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    finished = [line for line in lines if line["message"] == "step finished"]
    assert len(finished) == 1
    assert (
        finished[0]
        | {
            "run_id": run["id"],
            "event_id": event_id,
            "workflow_id": workflow["id"],
            "step": 0,
            "step_type": "http_request",
            "attempt": 1,
            "level": "INFO",
            "logger": "hookline.worker",
        }
        == finished[0]
    )
    assert "timestamp" in finished[0]
    received = [line for line in lines if line["message"] == "event received"]
    assert [(r["workflow_id"], r["event_id"], r["run_id"]) for r in received] == [
        (workflow["id"], event_id, run["id"])
    ]
    assert "private-note-4711" not in json_log.getvalue(), "payloads are never logged"


def test_log_format_is_json_in_production_and_text_in_development(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    production = AppSettings(env="production", secret_key=TEST_SECRET)
    assert production.effective_log_format == "json"
    assert AppSettings(env="dev").effective_log_format == "text"
    monkeypatch.setenv("LOG_FORMAT", "text")
    assert AppSettings(env="production", secret_key=TEST_SECRET).effective_log_format == "text"
