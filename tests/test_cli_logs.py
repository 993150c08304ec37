"""`hookline web` in production writes only JSON lines, the intake's with its ids (issue 6)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.test_cli import free_port, hookline, running

PRODUCTION = {"HOOKLINE_ENV": "production", "SECRET_KEY": "a-long-enough-production-secret"}


def test_cli_web_in_production_logs_one_json_object_per_line(tmp_path: Path) -> None:
    created = hookline(tmp_path, "users", "create", "ops@example.com", "--api-token", **PRODUCTION)
    assert created.returncode == 0, created.stderr
    headers = {"Authorization": f"Bearer {created.stdout.strip().rsplit(' ', 1)[-1]}"}
    port = free_port()
    with running(tmp_path, "web", port=port, PORT=str(port), **PRODUCTION) as base:
        workflow = httpx.post(
            f"{base}/api/v1/workflows", json={"name": "Logs", "steps": []}, headers=headers
        ).json()
        answer = httpx.post(workflow["hook_url"], json={})
        assert answer.status_code == 202, answer.text
    output = (tmp_path / f"hookline-{port}.log").read_text()
    lines = [json.loads(line) for line in output.splitlines()]  # each line must parse
    received = [line for line in lines if line["message"] == "event received"]
    assert [(r["workflow_id"], r["event_id"]) for r in received] == [
        (workflow["id"], answer.json()["event_id"])
    ]
    assert any(line["logger"] == "uvicorn.access" for line in lines), output
