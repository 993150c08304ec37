"""The `hookline` command as an operator runs it: real subprocesses, real ports, a temp folder."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.fixtures import FIXTURES
from tests.support.local_http import LocalServer

HOOKLINE = [sys.executable, "-m", "app.cli"]
REPO = Path(__file__).resolve().parents[1]
OUR_VARIABLES = (
    "HOOKLINE_ENV",
    "SECRET_KEY",
    "PUBLIC_BASE_URL",
    "PORT",
    "HOST",
    "DATABASE_URL",
    "BROKER_URL",
    "REDIS_URL",
    "OUTBOUND_ALLOW_NETWORKS",
)
GITHUB_PUSH = (FIXTURES / "github" / "push.payload.json").read_bytes()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def operator_env(**extra: str) -> dict[str, str]:
    """The caller's environment without Hookline's variables, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if k not in OUR_VARIABLES}
    env["PYTHONPATH"] = str(REPO)
    env.update(extra)
    return env


def hookline(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*HOOKLINE, *args],
        cwd=cwd,
        env=operator_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )


@contextmanager
def running(cwd: Path, *args: str, port: int, **env: str) -> Iterator[str]:
    """Start `hookline ARGS` and yield its base URL once /signin answers; always stop it."""
    log = (cwd / f"hookline-{port}.log").open("w")
    process = subprocess.Popen(
        [*HOOKLINE, *args], cwd=cwd, env=operator_env(**env), stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(process, base, cwd / f"hookline-{port}.log")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        log.close()


def _wait_until_up(process: subprocess.Popen[bytes], base: str, log_path: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"hookline exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            if httpx.get(f"{base}/signin", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"hookline did not answer within 30s:\n{log_path.read_text()}")


def wait_for_finished_run(base: str, headers: dict[str, str], workflow_id: int) -> dict:  # type: ignore[type-arg]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        runs = httpx.get(f"{base}/api/v1/workflows/{workflow_id}/runs", headers=headers).json()
        if runs["items"] and runs["items"][0]["status"] in ("succeeded", "failed"):
            run_id = runs["items"][0]["id"]
            return httpx.get(f"{base}/api/v1/runs/{run_id}", headers=headers).json()  # type: ignore[no-any-return]
        time.sleep(0.2)
    raise AssertionError("the run did not finish within 30s")


def test_cli_serve_runs_everything_on_a_sqlite_file_in_the_working_folder(
    tmp_path: Path, sink: LocalServer
) -> None:
    port = free_port()
    with running(
        tmp_path, "serve", port=port, PORT=str(port), OUTBOUND_ALLOW_NETWORKS="127.0.0.0/8"
    ) as base:
        assert (tmp_path / "hookline.db").exists()
        created = hookline(tmp_path, "users", "create", "ops@example.com", "--api-token")
        assert created.returncode == 0, created.stderr
        token = created.stdout.strip().rsplit(" ", 1)[-1]
        headers = {"Authorization": f"Bearer {token}"}
        step = {
            "type": "http_request",
            "config": {
                "method": "POST",
                "url": sink.url("/from-cli"),
                "body": {"repo": "{{ trigger.body.repository.full_name }}"},
            },
        }
        workflow = httpx.post(
            f"{base}/api/v1/workflows",
            json={"name": "CLI", "enabled": True, "steps": [step]},
            headers=headers,
        ).json()
        hook_path = workflow["hook_url"].split("/hooks/", 1)[1]
        answer = httpx.post(
            f"{base}/hooks/{hook_path}",
            content=GITHUB_PUSH,
            headers={"Content-Type": "application/json", "X-GitHub-Event": "push"},
        )
        assert answer.status_code == 202
        run = wait_for_finished_run(base, headers, workflow["id"])
    assert run["status"] == "succeeded", run
    expected = json.loads(GITHUB_PUSH)["repository"]["full_name"]
    assert [json.loads(r.body) for r in sink.received] == [{"repo": expected}]
    # The operator's log says what matters: no library chatter on every start.
    started = (tmp_path / f"hookline-{port}.log").read_text()
    assert "Running upgrade" in started
    assert "setup plugin" not in started and "DeprecationWarning" not in started


def test_cli_migrate_then_web_listens_on_dollar_port(tmp_path: Path) -> None:
    migrated = hookline(tmp_path, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert "Database is up to date." in migrated.stdout
    assert (tmp_path / "hookline.db").exists()
    port = free_port()
    with running(tmp_path, "web", port=port, PORT=str(port)) as base:
        assert httpx.get(f"{base}/healthz").json() == {"status": "ok"}


def test_cli_web_port_option_wins_over_dollar_port(tmp_path: Path) -> None:
    assert hookline(tmp_path, "migrate").returncode == 0
    port = free_port()
    with running(tmp_path, "web", "--port", str(port), port=port, PORT="1"):
        pass


def test_cli_worker_without_a_shared_broker_explains_and_exits_2(tmp_path: Path) -> None:
    result = hookline(tmp_path, "worker")
    assert result.returncode == 2
    assert "BROKER_URL is not set" in result.stderr
    assert "hookline serve" in result.stderr


def test_cli_production_without_secret_key_refuses_to_start(tmp_path: Path) -> None:
    result = hookline(tmp_path, "serve", HOOKLINE_ENV="production")
    assert result.returncode == 2
    assert "SECRET_KEY is not set" in result.stderr
    assert not (tmp_path / "hookline.db").exists()


def test_cli_users_create_without_token_prints_no_token(tmp_path: Path) -> None:
    result = hookline(tmp_path, "users", "create", "someone@example.com")
    assert result.returncode == 0, result.stderr
    # It names the database it wrote to: the server must be started on the same one.
    assert f"Created user someone@example.com in {tmp_path / 'hookline.db'}." in result.stdout
    assert "API token" not in result.stdout
    again = hookline(tmp_path, "users", "create", "someone@example.com")
    assert again.returncode == 1
    assert "already exists" in again.stderr
