"""`hookline serve` on SQLite killed -9 under load: every acknowledged event is on disk.

The webhook edge answers 2xx only after the writer thread's COMMIT (WAL, synchronous=FULL),
so a crash between a batch's INSERTs and its COMMIT may lose requests that were never
answered, but never one that was. Runs without PostgreSQL or Redis.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import httpx

from tests.support.serve_process import serving


def test_serve_killed_under_load_keeps_every_acknowledged_event(tmp_path: Path) -> None:
    with serving(tmp_path) as (serve, base, user):
        created = httpx.post(
            f"{base}/api/v1/workflows",
            json={"name": "crash", "enabled": True, "steps": []},
            headers=user.headers,
            timeout=10,
        )
        assert created.status_code == 201, created.text
        acknowledged = _post_until_killed(created.json()["hook_url"], serve)
    with sqlite3.connect(tmp_path / "hookline.db") as connection:
        stored = {event_id for (event_id,) in connection.execute("SELECT id FROM event")}
    assert len(acknowledged) >= 50
    assert acknowledged <= stored, f"lost acknowledged events: {sorted(acknowledged - stored)}"


def _post_until_killed(hook_url: str, serve: subprocess.Popen[bytes]) -> set[int]:
    """Post from 16 threads; kill -9 the server once 50 events were acknowledged."""
    acknowledged: set[int] = set()
    lock = threading.Lock()
    stop = threading.Event()

    def sender(n: int) -> None:
        with httpx.Client(timeout=5) as client:
            while not stop.is_set():
                try:
                    answer = client.post(hook_url, json={"sender": n, "pad": "x" * 900})
                except httpx.HTTPError:
                    continue  # killed mid-request: never acknowledged
                if answer.status_code == 202:
                    with lock:
                        acknowledged.add(int(answer.json()["event_id"]))

    threads = [threading.Thread(target=sender, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while len(acknowledged) < 50 and time.monotonic() < deadline:
        time.sleep(0.01)
    os.killpg(serve.pid, signal.SIGKILL)  # mid-batch: INSERTs done, COMMIT pending for some
    serve.wait()
    stop.set()
    for thread in threads:
        thread.join()
    with lock:
        return set(acknowledged)
