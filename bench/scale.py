"""History-size benchmark: is Hookline as fast with 1,000,000 stored events and runs as with 1,000?

Starts `hookline serve` on a fresh SQLite file (or `--database-url` PostgreSQL), creates a
workflow through the API, then for each history size: bulk-seeds finished events and
runs for that workflow straight into the database (multi-row INSERTs, not the API), and
measures the workflow's run-list and event-list API (first page and a deep page), the
workflow page (its run list) and the dashboard as HTML for a signed-in session, ingest
p50/p99 (wrk, 32 connections) and the SQLite query plans of the hot queries.

    python bench/scale.py                      # 1,000 then 1,000,000 on SQLite
    python bench/scale.py --sizes 1000 100000  # quicker
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.load import create_workflow, hookline_processes
from bench.processes import BIN, ROOT, asgi_server, free_port, run_wrk, running

BODY = json.dumps({"id": "seed", "amount": 10.0, "note": "x" * 900}).encode()
PLAN = [{"type": "http_request", "config": {"method": "POST", "url": "http://127.0.0.1:9/in"}}]


def seed(database_url: str, workflow_id: int, count: int, batch: int = 5_000) -> float:
    """Insert `count` finished events + runs for the workflow; returns seconds taken."""
    from app.store.tables import Event, Run

    engine = sa.create_engine(database_url)
    started = time.monotonic()
    now = datetime.now(UTC) - timedelta(days=1)
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA synchronous=OFF")  # seeding only
    for offset in range(0, count, batch):
        size = min(batch, count - offset)
        with engine.begin() as connection:
            events = [_event(workflow_id, now) for _ in range(size)]
            ids = connection.execute(
                sa.insert(Event).returning(Event.__table__.c.id),
                events,  # type: ignore[attr-defined]
            ).scalars()
            connection.execute(
                sa.insert(Run), [_run(workflow_id, event_id, now) for event_id in ids]
            )
    engine.dispose()
    return time.monotonic() - started


def flush_seed(database_url: str) -> float:
    """Checkpoint the WAL and write the seed's dirty pages to disk; returns seconds taken.

    The seed runs with synchronous=OFF, so much of it may still sit in the OS page cache,
    unwritten, when the measurements start; the ingest's fsyncs would then share the disk
    with that write-back (a suspect for the 1M ingest p99 of passes 1-2). A real history
    is written over days, so measure after it is on disk.
    """
    started = time.monotonic()
    engine = sa.create_engine(database_url)
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    os.sync()
    return time.monotonic() - started


def _event(workflow_id: int, at: datetime) -> dict[str, object]:
    return {
        "workflow_id": workflow_id, "received_at": at, "method": "POST", "path": "/hooks/x",
        "query_string": "", "headers": [["content-type", "application/json"]],
        "content_type": "application/json", "body": BODY, "body_size": len(BODY),
        "body_kind": "json", "parsed_json": BODY.decode(), "outcome": "accepted",
    }  # fmt: skip


def _run(workflow_id: int, event_id: int, at: datetime) -> dict[str, object]:
    return {
        "workflow_id": workflow_id, "event_id": event_id, "status": "succeeded", "plan": PLAN,
        "next_step": 1, "created_at": at, "updated_at": at, "finished_at": at,
    }  # fmt: skip


def wait_until_idle(database_url: str, limit: float = 300.0) -> None:
    """Let the worker finish the previous ingest's runs, so they do not skew the timings."""
    engine = sa.create_engine(database_url)
    deadline = time.monotonic() + limit
    unfinished = "SELECT count(*) FROM run WHERE status IN ('queued', 'running')"
    with engine.connect() as connection:
        while connection.exec_driver_sql(unfinished).scalar() and time.monotonic() < deadline:
            connection.rollback()
            time.sleep(0.5)
    engine.dispose()


def timed_gets(client: httpx.Client, url: str, repeat: int) -> tuple[float, float]:
    """p50 and p99 in ms of `repeat` sequential GETs."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(url).raise_for_status()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99) - 1]


def user_with_password(env: dict[str, str], cwd: Path) -> tuple[str, str, str]:
    """A user who can sign in: e-mail, password and an API token."""
    email, password = f"scale-{secrets.token_hex(3)}@example.com", secrets.token_urlsafe(16)
    output = subprocess.run(
        [str(BIN / "hookline"), "users", "create", email, "--api-token", "--password", password],
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return email, password, output.strip().rsplit(" ", 1)[-1]


def signed_in(base: str, email: str, password: str) -> httpx.Client:
    """A browser-like session: the sign-in form with its CSRF token, cookies kept."""
    client = httpx.Client(base_url=base, timeout=30)
    form = client.get("/signin").text
    found = re.search(r'name="_csrf_token"[^>]*value="([^"]+)"', form) or re.search(
        r'value="([^"]+)"[^>]*name="_csrf_token"', form
    )
    assert found, "no CSRF token on the sign-in page"
    data = {"email": email, "password": password, "_csrf_token": found.group(1)}
    answer = client.post("/signin", data=data)
    assert answer.status_code in (302, 303), answer.text  # redirected to the dashboard
    assert "/signin" not in str(client.get("/", follow_redirects=True).url), "not signed in"
    return client


def measure(
    base: str, token: str, workflow_id: int, hook_url: str, browser: httpx.Client
) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    figures: dict[str, str] = {}
    for name, url in {
        "workflow page (HTML run list)": f"/workflows/{workflow_id}",
        "dashboard (HTML)": "/",
    }.items():
        p50, p99 = timed_gets(browser, url, 300)
        figures[name] = f"{p50:.1f} / {p99:.1f}"
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        first = client.get(f"/api/v1/workflows/{workflow_id}/runs?limit=50").json()
        deep_before = first.get("next_before") or 1
        for name, url in {
            "runs API, first page": f"/api/v1/workflows/{workflow_id}/runs?limit=50",
            "runs API, next page": f"/api/v1/workflows/{workflow_id}/runs?limit=50&before={deep_before}",
            "events API, first page": f"/api/v1/workflows/{workflow_id}/events?limit=50",
            "workflow list API": "/api/v1/workflows",
        }.items():
            p50, p99 = timed_gets(client, url, 300)
            figures[name] = f"{p50:.1f} / {p99:.1f}"
    load = run_wrk(hook_url, seconds=5, connections=32)
    figures["ingest (wrk 5 s, c=32)"] = f"{load.p50_ms:.1f} / {load.p99_ms:.1f}"
    return figures


def query_plans(database_url: str, workflow_id: int) -> list[str]:
    engine = sa.create_engine(database_url)
    plans = []
    with engine.connect() as connection:
        for sql in (
            f"SELECT * FROM run WHERE workflow_id = {workflow_id} ORDER BY id DESC LIMIT 50",
            f"SELECT * FROM event WHERE workflow_id = {workflow_id} ORDER BY id DESC LIMIT 50",
            "SELECT id FROM run WHERE status IN ('queued','running') AND lease_until < '2100' "
            "ORDER BY lease_until LIMIT 500",
        ):
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}").all()
            plans.append(f"{sql}\n    " + "\n    ".join(str(row[-1]) for row in rows))
    engine.dispose()
    return plans


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 1_000_000])
    parser.add_argument(
        "--index",
        action="append",
        default=[],
        help="CREATE INDEX … to try before measuring (what a missing index would change)",
    )
    parser.add_argument(
        "--no-flush",
        action="store_true",
        help="measure right after seeding, with the seed still being written back (passes 1-2)",
    )
    args = parser.parse_args()
    sink_port, port = free_port(), free_port()
    results: dict[int, dict[str, str]] = {}
    with (
        tempfile.TemporaryDirectory() as tmp,
        running(asgi_server("uvicorn", "bench.sink_app:app", sink_port), cwd=ROOT,
                ready_url=f"http://127.0.0.1:{sink_port}/count"),
        hookline_processes("embedded", port, Path(tmp)) as (env, _pids),
    ):  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        email, password, token = user_with_password(env, Path(tmp))
        browser = signed_in(base, email, password)
        hook_url = create_workflow(base, token, sink_port)
        workflow_id = int(
            httpx.get(
                f"{base}/api/v1/workflows", headers={"Authorization": f"Bearer {token}"}
            ).json()[0]["id"]
        )
        engine = sa.create_engine(env["DATABASE_URL"])
        with engine.begin() as connection:
            for statement in args.index:
                connection.exec_driver_sql(statement)
        engine.dispose()
        seeded = 0
        for size in sorted(args.sizes):
            took = seed(env["DATABASE_URL"], workflow_id, size - seeded)
            seeded = size
            print(f"seeded up to {size:,} events + runs in {took:.0f} s", flush=True)
            if not args.no_flush:
                print(f"  flushed to disk in {flush_seed(env['DATABASE_URL']):.1f} s", flush=True)
            wait_until_idle(env["DATABASE_URL"])
            results[size] = measure(base, token, workflow_id, hook_url, browser)
        plans = query_plans(env["DATABASE_URL"], workflow_id)
    sizes = sorted(results)
    print("\n| p50 / p99 ms | " + " | ".join(f"{s:,} rows" for s in sizes) + " | ratio p99 |")
    print("|---|" + "---|" * (len(sizes) + 1))
    for name in results[sizes[0]]:
        cells = [results[s][name] for s in sizes]
        ratio = float(cells[-1].split("/")[1]) / max(float(cells[0].split("/")[1]), 0.001)
        print(f"| {name} | " + " | ".join(cells) + f" | {ratio:.2f} |")
    print("\nQuery plans (SQLite):")
    for plan in plans:
        print(plan)


if __name__ == "__main__":
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    main()
