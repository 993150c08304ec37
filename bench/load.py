"""Ingest-and-deliver benchmark: Hookline against a bare ASGI handler, on this machine.

Workload: POST a ~1 KB JSON body to a workflow's URL at concurrency 32 for 20 s (wrk);
the workflow has one HTTP step that POSTs a templated field to a local sink that counts
arrivals. Prints accepted/s, p50/p99, delivered/s, lag after the load stops, lost events
and peak RSS, with ratios against the bare handler measured in the same run.

    python bench/load.py                       # embedded default (SQLite + in-process worker)
    python bench/load.py --mode production     # PostgreSQL + Redis, separate web and worker
    python bench/load.py --smoke               # a few seconds, for CI-style sanity checks
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.processes import (
    BIN,
    ROOT,
    LoadResult,
    asgi_server,
    free_port,
    peak_rss_mb,
    run_wrk,
    running,
)

PG_SERVER = os.environ.get("BENCH_DATABASE_SERVER", "postgresql://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")


@dataclass
class Row:
    system: str
    load: LoadResult
    delivered: int | None = None
    delivered_per_second: float | None = None
    lag_seconds: float | None = None
    rss_mb: float | None = None


def measure_bare(server: str, seconds: int, connections: int) -> Row:
    port = free_port()
    command = asgi_server(server, "bench.bare_app:app", port)
    with running(command, cwd=ROOT, ready_url=f"http://127.0.0.1:{port}/") as process:
        load = run_wrk(f"http://127.0.0.1:{port}/", seconds=seconds, connections=connections)
        rss = peak_rss_mb(process.pid)
    return Row(system=f"bare ASGI 202 ({server})", load=load, rss_mb=rss)


def sink_count(port: int) -> int:
    return int(httpx.get(f"http://127.0.0.1:{port}/count", timeout=5).json()["count"])


def create_workflow(base: str, token: str, sink_port: int) -> str:
    step = {
        "type": "http_request",
        "config": {
            "method": "POST",
            "url": f"http://127.0.0.1:{sink_port}/in",
            "headers": {"Content-Type": "application/json"},
            "body": '{"id": "{{ trigger.body.id }}", "amount": "{{ trigger.body.amount }}"}',
        },
    }
    answer = httpx.post(
        f"{base}/api/v1/workflows",
        json={"name": "bench", "enabled": True, "steps": [step]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    answer.raise_for_status()
    return str(answer.json()["hook_url"])


def api_token(env: dict[str, str], cwd: Path) -> str:
    output = subprocess.run(
        [
            str(BIN / "hookline"),
            "users",
            "create",
            f"bench-{secrets.token_hex(3)}@example.com",
            "--api-token",
        ],
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return output.strip().rsplit(" ", 1)[-1]


def wait_for_deliveries(
    sink_port: int, expected: int, started: float, limit: float
) -> tuple[int, float]:
    """Poll the sink until it has `expected` arrivals or `limit` seconds pass."""
    count = sink_count(sink_port)
    while count < expected and time.monotonic() - started < limit:
        time.sleep(0.2)
        count = sink_count(sink_port)
    return count, time.monotonic() - started


@contextlib.contextmanager
def hookline_processes(
    mode: str, port: int, workdir: Path
) -> Iterator[tuple[dict[str, str], list[int]]]:
    env = {
        "OUTBOUND_ALLOW_NETWORKS": "127.0.0.0/8",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "LOG_LEVEL": "WARNING",
        "INBOUND_RATE_LIMIT_PER_MINUTE": "0",
        "PORT": str(port),
    }
    ready = f"http://127.0.0.1:{port}/healthz"
    hookline = str(BIN / "hookline")
    if mode == "embedded":
        env["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.db'}"
        with running([hookline, "serve"], env=env, cwd=workdir, ready_url=ready) as serve:
            yield env, [serve.pid]
        return
    database = f"hookline_bench_{secrets.token_hex(4)}"
    subprocess.run(
        ["psql", f"{PG_SERVER}/postgres", "-qc", f'CREATE DATABASE "{database}"'], check=True
    )
    env.update(
        DATABASE_URL=f"{PG_SERVER}/{database}",
        BROKER_URL=REDIS_URL,
        BROKER_QUEUE=f"bench-{secrets.token_hex(3)}",
        SECRET_KEY=secrets.token_urlsafe(32),
        HOOKLINE_ENV="production",
    )
    try:
        subprocess.run(
            [hookline, "migrate"],
            env={**os.environ, **env},
            cwd=workdir,
            check=True,
            capture_output=True,
        )
        with (
            running([hookline, "web"], env=env, cwd=workdir, ready_url=ready) as web,
            running([hookline, "worker"], env=env, cwd=workdir) as worker,
        ):
            yield env, [web.pid, worker.pid]
    finally:
        subprocess.run(
            [
                "psql",
                f"{PG_SERVER}/postgres",
                "-qc",
                f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)',
            ],
            check=False,
        )


def measure_hookline(mode: str, seconds: int, connections: int, drain_limit: float) -> Row:
    sink_port, port = free_port(), free_port()
    with (
        tempfile.TemporaryDirectory() as tmp,
        running(
            asgi_server("uvicorn", "bench.sink_app:app", sink_port),
            cwd=ROOT,
            ready_url=f"http://127.0.0.1:{sink_port}/count",
        ),
        hookline_processes(mode, port, Path(tmp)) as (env, pids),
    ):
        token = api_token(env, Path(tmp))
        hook_url = create_workflow(f"http://127.0.0.1:{port}", token, sink_port)
        load = run_wrk(hook_url, seconds=seconds, connections=connections)
        load_end = time.monotonic()
        at_end = sink_count(sink_port)
        delivered, lag = wait_for_deliveries(sink_port, load.accepted, load_end, drain_limit)
        rss = sum(peak_rss_mb(pid) for pid in pids)
    total_time = load.seconds + lag
    return (
        Row(
            system=f"Hookline {mode}",
            load=load,
            delivered=delivered,
            delivered_per_second=delivered / total_time if total_time else 0.0,
            lag_seconds=lag if delivered >= load.accepted else None,
            rss_mb=rss,
        )
        if at_end >= 0
        else Row(system="?", load=load)
    )


def print_table(rows: list[Row]) -> None:
    bare = max((r.load.accepted_per_second for r in rows if r.system.startswith("bare")), default=0)
    print()
    print(
        "| system | accepted/s | ×bare | p50 ms | p99 ms | delivered/s | ×bare | lag s | lost | peak RSS MB |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        accepted = row.load.accepted_per_second
        lost = "—" if row.delivered is None else str(max(0, row.load.accepted - row.delivered))
        delivered = "—" if row.delivered_per_second is None else f"{row.delivered_per_second:,.0f}"
        delivered_ratio = (
            "—"
            if row.delivered_per_second is None or not bare
            else f"{row.delivered_per_second / bare:.3f}"
        )
        lag = (
            "—"
            if row.delivered is None
            else (f"{row.lag_seconds:.1f}" if row.lag_seconds is not None else "not drained")
        )
        print(
            f"| {row.system} | {accepted:,.0f} | {accepted / bare if bare else 0:.3f} | "
            f"{row.load.p50_ms:.1f} | {row.load.p99_ms:.1f} | {delivered} | {delivered_ratio} | "
            f"{lag} | {lost} | {row.rss_mb or 0:.0f} |"
        )
    print(
        "\nTargets: accepted ≥ 0.12×bare with p99 ≤ 50 ms; delivered ≥ 0.05×bare, 0 lost, "
        "lag ≤ 5 s; embedded peak RSS ≤ 300 MB."
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mode", choices=["embedded", "production", "both"], default="embedded")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--drain-limit", type=float, default=120.0)
    parser.add_argument("--smoke", action="store_true", help="3 s of load, 30 s drain limit")
    args = parser.parse_args()
    if args.smoke:
        args.seconds, args.drain_limit = 3, 30.0
    rows = [
        measure_bare(server, args.seconds, args.connections) for server in ("granian", "uvicorn")
    ]
    modes = ["embedded", "production"] if args.mode == "both" else [args.mode]
    rows += [
        measure_hookline(mode, args.seconds, args.connections, args.drain_limit) for mode in modes
    ]
    print_table(rows)


if __name__ == "__main__":
    main()
