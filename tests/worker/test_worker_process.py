"""`hookline serve` with its step worker in a child process (EMBEDDED_WORKER=process).

Real processes on SQLite, no mocks: the web process hands run ids to the child through a
pipe; the child delivers, is restarted after kill -9 without losing an accepted event,
and exits when its parent is killed -9. Replays and retries reach it through the same
dispatcher.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bench.processes import descendants
from tests.conftest import ApiUser
from tests.support.local_http import LocalServer
from tests.support.serve_process import serving


def _workflow(base: str, user: ApiUser, url: str, **config: Any) -> dict[str, Any]:
    step = {"type": "http_request", "config": {"method": "POST", "url": url, **config}}
    created = httpx.post(
        f"{base}/api/v1/workflows",
        json={"name": "child", "enabled": True, "steps": [step]},
        headers=user.headers,
        timeout=10,
    )
    assert created.status_code == 201, created.text
    return created.json()  # type: ignore[no-any-return]


def _until(check: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout}s: {check}")


def _arrived(sink: LocalServer) -> set[str]:
    return {request.path.rsplit("/", 1)[1] for request in list(sink.received)}


def _worker_child(serve: subprocess.Popen[bytes]) -> int:
    return int(_until(lambda: next(iter(descendants(serve.pid)), None)))


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state == "Z"  # exited; nobody reaps orphans in some containers


def _run(base: str, user: ApiUser, run_id: int, statuses: tuple[str, ...]) -> dict[str, Any]:
    def finished() -> dict[str, Any] | None:
        run = httpx.get(f"{base}/api/v1/runs/{run_id}", headers=user.headers).json()
        return run if run["status"] in statuses else None

    return _until(finished)  # type: ignore[no-any-return]


def test_serve_runs_steps_replays_and_retries_in_the_child(
    tmp_path: Path, sink: LocalServer
) -> None:
    with serving(tmp_path, EMBEDDED_WORKER="process") as (serve, base, user):
        assert _worker_child(serve) != serve.pid
        workflow = _workflow(base, user, sink.url("/got/{{ trigger.body.n }}"))
        for n in range(20):
            answer = httpx.post(workflow["hook_url"], json={"n": n}, timeout=10)
            assert answer.status_code == 202, answer.text
        _until(lambda: _arrived(sink) >= {str(n) for n in range(20)})
        runs = httpx.get(
            f"{base}/api/v1/workflows/{workflow['id']}/runs", headers=user.headers
        ).json()["items"]
        replayed = httpx.post(f"{base}/api/v1/runs/{runs[0]['id']}/replay", headers=user.headers)
        assert replayed.status_code in (200, 201), replayed.text
        _until(lambda: len(sink.received) >= 21)

        failing = _workflow(base, user, sink.url("/status/400"))
        httpx.post(failing["hook_url"], json={"n": "x"}, timeout=10)
        failed_id = _until(
            lambda: httpx.get(
                f"{base}/api/v1/workflows/{failing['id']}/runs", headers=user.headers
            ).json()["items"]
        )[0]["id"]
        _run(base, user, failed_id, ("failed",))
        fixed = {"type": "http_request", "config": {"url": sink.url("/got/retried")}}
        edited = httpx.put(
            f"{base}/api/v1/workflows/{failing['id']}",
            json={"steps": [fixed]},
            headers=user.headers,
        )
        assert edited.status_code == 200, edited.text
        retried = httpx.post(f"{base}/api/v1/runs/{failed_id}/retry", headers=user.headers)
        assert retried.status_code in (200, 201), retried.text
        assert _run(base, user, failed_id, ("succeeded",))["status"] == "succeeded"
        assert "retried" in _arrived(sink)


def test_a_killed_child_is_restarted_and_a_killed_parent_leaves_no_child(
    tmp_path: Path, sink: LocalServer
) -> None:
    leases = {
        "RUN_LEASE_SECONDS": "3",
        "OUTBOUND_TOTAL_TIMEOUT": "2",
        "SWEEP_INTERVAL_SECONDS": "0.5",
    }
    with serving(tmp_path, EMBEDDED_WORKER="process", **leases) as (serve, base, user):
        child = _worker_child(serve)
        workflow = _workflow(base, user, sink.url("/got/{{ trigger.body.n }}"), repeat_safe=True)
        accepted = _post_while(workflow["hook_url"], lambda count: count == 40 and _kill(child))
        assert len(accepted) >= 80
        restarted = _until(lambda: next((p for p in descendants(serve.pid) if p != child), None))
        # Every accepted event arrives: those in the dead child's hands once their lease ends.
        _until(lambda: _arrived(sink) >= accepted)

        os.kill(serve.pid, signal.SIGKILL)
        serve.wait()
        _until(lambda: _gone(restarted), timeout=20)


def test_steps_finishing_after_the_parent_was_killed_are_still_recorded(
    tmp_path: Path, sink: LocalServer
) -> None:
    """The child records through the parent's writer; with the parent gone it uses its own."""
    with serving(tmp_path, EMBEDDED_WORKER="process") as (serve, base, user):
        child = _worker_child(serve)
        workflow = _workflow(base, user, sink.url("/slow"))
        for n in range(3):
            assert httpx.post(workflow["hook_url"], json={"n": n}).status_code == 202
        _until(lambda: len(sink.received) == 3)  # all three held by the destination

        os.kill(serve.pid, signal.SIGKILL)
        serve.wait()
        sink.release.set()  # the child, in its stop grace, gets the answers
        _until(lambda: _gone(child), timeout=20)

    with sqlite3.connect(tmp_path / "hookline.db") as database:
        statuses = [status for (status,) in database.execute("SELECT status FROM run")]
    assert statuses == ["succeeded"] * 3


def _kill(pid: int) -> bool:
    os.kill(pid, signal.SIGKILL)
    return True


def _post_while(hook_url: str, on_accepted: Callable[[int], object]) -> set[str]:
    """Post from 8 threads until 80 events were accepted; calls `on_accepted(count)`."""
    accepted: set[str] = set()
    lock = threading.Lock()
    counter = iter(range(1_000_000))

    def sender() -> None:
        with httpx.Client(timeout=10) as client:
            while len(accepted) < 80:
                with lock:
                    n = str(next(counter))
                if client.post(hook_url, json={"n": n}).status_code == 202:
                    with lock:
                        accepted.add(n)
                        on_accepted(len(accepted))

    threads = [threading.Thread(target=sender) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return accepted
