"""Intake-only benchmark: the CPU cost of accepting one webhook in the web process alone.

Starts `hookline web` on a fresh SQLite file (broker `stub://`: runs are enqueued in
memory and never run, so no worker competes for the core), creates a user, an API token
and the same one-step workflow as `load.py`, drives the hook URL with wrk (~1 KB JSON,
c=32) and prints accepted/s, p50/p99 and the web process's CPU time per accepted
request (utime + stime from /proc/<pid>/stat over the load, divided by accepted).

    python bench/intake.py                     # 10 s at c=32
    python bench/intake.py --seconds 5 --runs 3
    python bench/intake.py --profile out.txt   # also record a py-spy profile (raw format)
    python bench/intake.py --litestar          # hook URLs through Litestar (front turned off)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.load import api_token, create_workflow
from bench.processes import BIN, ROOT, LoadResult, free_port, run_wrk, running

TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class IntakeRun:
    load: LoadResult
    cpu_seconds: float

    @property
    def cpu_us_per_accepted(self) -> float:
        return self.cpu_seconds / self.load.accepted * 1e6 if self.load.accepted else 0.0


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


# `hookline web` with the raw-ASGI hook front turned off, for before/after pairs.
WEB_THROUGH_LITESTAR = (
    "import sys; import app.web.asgi; from app.web.hook_front import HookFrontApp; "
    "HookFrontApp.hook_front = False; "
    "from app.cli import main; sys.argv = ['hookline', 'web']; main()"
)


def measure(seconds: int, connections: int, profile: str | None, litestar: bool) -> IntakeRun:
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            "DATABASE_URL": f"sqlite:///{tmp}/b.db",
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            "LOG_LEVEL": "WARNING",
            "INBOUND_RATE_LIMIT_PER_MINUTE": "0",
            "PORT": str(port),
        }
        hookline = str(BIN / "hookline")
        subprocess.run(
            [hookline, "migrate"],
            env={**os.environ, **env},
            cwd=tmp,
            check=True,
            capture_output=True,
        )
        ready = f"http://127.0.0.1:{port}/healthz"
        web_command = (
            [sys.executable, "-c", WEB_THROUGH_LITESTAR] if litestar else [hookline, "web"]
        )
        with running(
            web_command, env={**env, "PYTHONPATH": str(ROOT)}, cwd=Path(tmp), ready_url=ready
        ) as web:
            token = api_token(env, Path(tmp))
            hook_url = create_workflow(f"http://127.0.0.1:{port}", token, free_port())
            run_wrk(hook_url, seconds=1, connections=connections)  # warm up caches
            spy = _py_spy(web.pid, seconds, profile) if profile else None
            before = cpu_seconds(web.pid)
            load = run_wrk(hook_url, seconds=seconds, connections=connections)
            used = cpu_seconds(web.pid) - before
            if spy is not None:
                spy.wait(timeout=60)
    return IntakeRun(load=load, cpu_seconds=used)


def _py_spy(pid: int, seconds: int, output: str) -> subprocess.Popen[bytes]:
    command = [str(BIN / "py-spy"), "record", "-f", "raw", "--threads", "-r", "200"]
    command += ["-p", str(pid), "-d", str(seconds), "-o", output]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--profile", help="write a py-spy raw profile of the (last) run here")
    parser.add_argument("--litestar", action="store_true", help="turn the hook front off")
    parser.add_argument("--alternate", action="store_true", help="front off, on, off, on, ...")
    args = parser.parse_args()
    print("| run | hook URLs via | accepted/s | non-2xx | p50 ms | p99 ms | CPU µs/accepted |")
    print("|---|---|---|---|---|---|---|")
    for number in range(1, args.runs + 1):
        last = number == args.runs
        litestar = args.litestar or (args.alternate and number % 2 == 1)
        profile = args.profile if last else None
        run = measure(args.seconds, args.connections, profile, litestar)
        load = run.load
        print(
            f"| {number} | {'Litestar' if litestar else 'front'} | "
            f"{load.accepted_per_second:,.0f} | {load.non_2xx + load.errors} | "
            f"{load.p50_ms:.1f} | {load.p99_ms:.1f} | {run.cpu_us_per_accepted:,.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
