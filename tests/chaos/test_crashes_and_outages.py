"""Crashes and outages in production mode (PostgreSQL + Redis, separate processes).

These are the product's promise under stress: every acknowledged event produces
exactly one run, no destination sees a step twice, and nothing is acknowledged that
was not stored.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from bench.processes import free_port
from tests.chaos.harness import api_user_for, create_workflow, deployment, runs_of, wait_until
from tests.support.local_http import LocalServer, serve_recording
from tests.support.tcp_proxy import tcp_proxy

OUTAGE_SECONDS = float(os.environ.get("CHAOS_OUTAGE_SECONDS", "30"))


@pytest.fixture
def sink() -> Iterator[LocalServer]:
    yield from serve_recording("127.0.0.1")


def sent_numbers(sink: LocalServer, path: str) -> list[str]:
    return [json.loads(r.body)["n"] for r in sink.received if r.path.startswith(path)]


def post_event(hook: str, n: int) -> httpx.Response:
    return httpx.post(hook, json={"n": str(n)}, timeout=10)


def test_worker_killed_mid_step_never_repeats_a_post(tmp_path: Path, sink: LocalServer) -> None:
    with deployment(tmp_path, WORKER_THREADS="1") as hookline:
        base = hookline.start_web()
        user = api_user_for(hookline)
        hook = create_workflow(base, user, sink.url("/slow"))
        worker = hookline.start_worker()
        accepted = [post_event(hook, n) for n in range(5)]
        assert all(r.status_code == 202 for r in accepted)

        wait_until(lambda: sink.received, timeout=30)  # the first POST is in flight
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
        sink.release.set()
        hookline.start_worker()

        def all_finished() -> list[dict[str, object]] | None:
            runs = runs_of(base, user, hook)
            done = [r for r in runs if r["status"] in ("succeeded", "failed")]
            return runs if len(done) == 5 else None

        runs = wait_until(all_finished, timeout=60)
        assert len(runs) == 5, "each acknowledged event has exactly one run"
        numbers = sent_numbers(sink, "/slow")
        assert sorted(set(numbers)) == [str(n) for n in range(5)]
        assert len(numbers) == 5, f"a POST was repeated after the crash: {numbers}"
        unknown = [r for r in runs if r["status"] == "failed"]
        for run in unknown:
            assert "unknown" in str(run["error"]).lower()


@contextlib.contextmanager
def private_redis() -> Iterator[tuple[str, callable, callable]]:  # type: ignore[valid-type]
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    command = [
        server,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
    ]
    state: dict[str, subprocess.Popen[bytes]] = {}

    def start() -> None:
        state["p"] = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: _redis_up(port), timeout=10, interval=0.1)

    def stop() -> None:
        state["p"].terminate()
        state["p"].wait(timeout=10)

    start()
    try:
        yield f"redis://127.0.0.1:{port}/0", start, stop
    finally:
        with contextlib.suppress(Exception):
            stop()


def _redis_up(port: int) -> bool:
    import socket

    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True
    return False


def test_broker_outage_keeps_accepting_and_catches_up(tmp_path: Path, sink: LocalServer) -> None:
    with (
        private_redis() as (redis_url, start_redis, stop_redis),
        deployment(tmp_path, broker_url=redis_url) as hookline,
    ):
        base = hookline.start_web()
        user = api_user_for(hookline)
        hook = create_workflow(base, user, sink.url("/in"))
        hookline.start_worker()
        sent = 0
        stop_redis()
        outage_ends = time.monotonic() + OUTAGE_SECONDS
        while time.monotonic() < outage_ends:
            answer = post_event(hook, sent)
            assert answer.status_code == 202, answer.text
            sent += 1
            time.sleep(0.2)
        start_redis()

        wait_until(lambda: len(set(sent_numbers(sink, "/in"))) == sent, timeout=90)
        runs = runs_of(base, user, hook)
        assert len(runs) == sent
        assert all(r["status"] == "succeeded" for r in runs)
        assert len(sent_numbers(sink, "/in")) == sent, "no step ran twice"


def test_database_outage_answers_503_and_loses_nothing(tmp_path: Path, sink: LocalServer) -> None:
    database_server = os.environ.get("TEST_DATABASE_URL", "")
    if not database_server:
        pytest.skip("needs TEST_DATABASE_URL")
    with deployment(tmp_path) as hookline:
        real = urlsplit(hookline.env["DATABASE_URL"])
        with tcp_proxy(real.hostname or "127.0.0.1", real.port or 5432) as proxy:
            proxied = real._replace(netloc=f"{real.username}@127.0.0.1:{proxy.port}")
            hookline.env["DATABASE_URL"] = urlunsplit(proxied)
            base = hookline.start_web()
            user = api_user_for(hookline)
            hook = create_workflow(base, user, sink.url("/in"))
            hookline.start_worker()
            acknowledged = []
            for n in range(10):
                if n == 4:
                    proxy.cut()
                if n == 7:
                    proxy.restore()
                answer = post_event(hook, n)
                if proxy.open.is_set() and answer.status_code != 202:
                    answer = post_event(hook, n)  # first request after restore may reconnect
                assert answer.status_code in (202, 503), answer.text
                if answer.status_code == 503:
                    assert answer.headers.get("retry-after")
                    assert not proxy.open.is_set()
                else:
                    acknowledged.append(str(n))
            assert acknowledged and len(acknowledged) < 10
            wait_until(lambda: set(sent_numbers(sink, "/in")) >= set(acknowledged), timeout=60)
            assert sorted(sent_numbers(sink, "/in")) == sorted(acknowledged)


@pytest.mark.timeout(300)  # ~60-100 s on an idle 2-core machine; CI shares it with more
def test_two_webs_two_workers_deliver_1000_events_once(tmp_path: Path, sink: LocalServer) -> None:
    # Realistic time limits: with the harness's 2 s a busy CI machine times steps out.
    with deployment(tmp_path, RUN_LEASE_SECONDS="45", OUTBOUND_TOTAL_TIMEOUT="30") as hookline:
        bases = [hookline.start_web(), hookline.start_web()]
        user = api_user_for(hookline)
        hook = create_workflow(bases[0], user, sink.url("/in"))
        path = urlsplit(hook).path
        hookline.start_worker()
        hookline.start_worker()
        total = 1000

        def send(n: int) -> int:
            with httpx.Client(timeout=10) as client:
                return client.post(f"{bases[n % 2]}{path}", json={"n": str(n)}).status_code

        with ThreadPoolExecutor(max_workers=16) as pool:
            statuses = list(pool.map(send, range(total)))
        assert statuses == [202] * total
        wait_until(lambda: len(sink.received) >= total, timeout=240)
        time.sleep(1)
        numbers = sent_numbers(sink, "/in")
        assert len(numbers) == total and len(set(numbers)) == total
