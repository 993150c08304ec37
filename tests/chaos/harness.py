"""Real Hookline processes on PostgreSQL + Redis for the crash and outage tests.

Each test gets a fresh PostgreSQL database, a private Redis queue name and processes
started with `hookline web` / `hookline worker`, which it may kill -9 and restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from app.settings import AppSettings, DatabaseSettings, Settings
from app.store.migrate import upgrade_to_head
from bench.processes import BIN, free_port, wait_until_up
from tests.conftest import ApiUser, make_api_user
from tests.support.databases import fresh_postgres_database


def require_services() -> tuple[str, str]:
    database, redis = os.environ.get("TEST_DATABASE_URL"), os.environ.get("TEST_REDIS_URL")
    if not database or not redis:
        pytest.skip("crash tests need TEST_DATABASE_URL and TEST_REDIS_URL (.ci/run sets them)")
    return database, redis


@dataclass
class Deployment:
    """A production-mode Hookline: some web and worker processes sharing PG + a broker."""

    env: dict[str, str]
    workdir: Path
    web_ports: list[int] = field(default_factory=list)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, *command: str, port: int | None = None) -> subprocess.Popen[bytes]:
        env = {**os.environ, **self.env}
        if port is not None:
            env["PORT"] = str(port)
        log_path = self.workdir / f"{command[0]}-{len(self.processes)}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [str(BIN / "hookline"), *command],
                env=env,
                cwd=self.workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes.append(process)
        return process

    def start_web(self) -> str:
        port = free_port()
        self.start("web", port=port)
        wait_until_up(f"http://127.0.0.1:{port}/healthz")
        self.web_ports.append(port)
        return f"http://127.0.0.1:{port}"

    def start_worker(self) -> subprocess.Popen[bytes]:
        return self.start("worker")

    def stop_all(self) -> None:
        for process in self.processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-20000:]}"
            for p in sorted(self.workdir.glob("*.log"))
        )


@contextlib.contextmanager
def deployment(
    tmp_path: Path, *, broker_url: str | None = None, **extra: str
) -> Iterator[Deployment]:
    database_server, redis = require_services()
    with fresh_postgres_database(database_server) as database_url:
        upgrade_to_head(database_url)
        env = {
            "DATABASE_URL": database_url,
            "BROKER_URL": broker_url or redis,
            "BROKER_QUEUE": f"chaos-{secrets.token_hex(4)}",
            "SECRET_KEY": "chaos-test-secret-" + "x" * 30,
            "HOOKLINE_ENV": "production",
            "OUTBOUND_ALLOW_NETWORKS": "127.0.0.0/8",
            "RUN_LEASE_SECONDS": "3",
            "OUTBOUND_TOTAL_TIMEOUT": "2",  # a lease must outlast the longest step (x1.5)
            "SWEEP_INTERVAL_SECONDS": "0.5",
            "LOG_LEVEL": "INFO",
            "INBOUND_RATE_LIMIT_PER_MINUTE": "0",
            **extra,
        }
        found = Deployment(env=env, workdir=tmp_path)
        try:
            yield found
        except BaseException:
            print(found.logs())
            raise
        finally:
            found.stop_all()


def api_user_for(target: Deployment) -> ApiUser:
    settings = Settings(
        app=AppSettings(env="production", secret_key=target.env["SECRET_KEY"]),
        database=DatabaseSettings(url=target.env["DATABASE_URL"]),
    )
    return asyncio.run(make_api_user(settings, f"chaos-{secrets.token_hex(3)}@example.com"))


def create_workflow(base: str, user: ApiUser, url: str, *, method: str = "POST") -> str:
    step = {
        "type": "http_request",
        "config": {
            "method": method,
            "url": url,
            "body": '{"n": "{{ trigger.body.n }}"}',
            "headers": {"Content-Type": "application/json"},
        },
    }
    answer = httpx.post(
        f"{base}/api/v1/workflows",
        headers=user.headers,
        timeout=10,
        json={"name": "chaos", "enabled": True, "steps": [step]},
    )
    answer.raise_for_status()
    return str(answer.json()["hook_url"]).replace("http://127.0.0.1:8000", base)


def runs_of(base: str, user: ApiUser, workflow_hook: str) -> list[dict[str, object]]:
    workflows = httpx.get(f"{base}/api/v1/workflows", headers=user.headers, timeout=10).json()
    workflow = next(w for w in workflows if w["hook_url"].endswith(workflow_hook.rsplit("/", 1)[1]))
    items: list[dict[str, object]] = []
    before = None
    while True:
        params = {"limit": 200, **({"before": before} if before else {})}
        page = httpx.get(
            f"{base}/api/v1/workflows/{workflow['id']}/runs",
            params=params,
            headers=user.headers,
            timeout=10,
        ).json()
        items += page["items"]
        before = page["next_before"]
        if not before:
            return items


def wait_until(predicate, timeout: float, interval: float = 0.25):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {timeout}s")
        time.sleep(interval)
