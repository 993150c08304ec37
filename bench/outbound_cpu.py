"""CPU time per outbound POST through `send_request` (guard on), at several concurrencies.

Starts `bench/sink_app.py` under uvicorn on a free port, then, in this process, sends
~1 KB JSON POSTs through the outbound client the worker uses and prints the process CPU
time (user + system, `time.process_time()`) spent per request, and requests/s:

    .venv/bin/python bench/outbound_cpu.py --requests 3000 --concurrency 1 32
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

from app.integrations.outbound_client import OutboundPolicy, build_outbound_client, send_request

ROOT = Path(__file__).resolve().parent.parent
BODY = json.dumps({"id": 1, "text": "x" * 1000}).encode()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_sink(port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "uvicorn", "--app-dir", str(ROOT), "bench.sink_app:app"]
    command += ["--port", str(port), "--log-level", "warning", "--no-access-log"]
    sink = subprocess.Popen(command)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return sink
        except OSError:
            time.sleep(0.1)
    sink.kill()
    raise SystemExit("the sink did not start")


async def measure(url: str, requests: int, concurrency: int) -> tuple[float, float]:
    """Return (CPU µs per request, requests/s) for `requests` POSTs at `concurrency`."""
    policy = OutboundPolicy(allow_networks=(ipaddress.ip_network("127.0.0.0/8"),))
    headers = [("Content-Type", "application/json")]
    async with build_outbound_client(policy, max_connections=max(32, concurrency)) as client:

        async def one() -> None:
            answer = await send_request(
                client, policy, method="POST", url=url, headers=headers, content=BODY
            )
            assert answer.status == 200, answer.status

        await asyncio.gather(*(one() for _ in range(concurrency)))  # warm the pool
        left = requests

        async def sender() -> None:
            nonlocal left
            while left > 0:
                left -= 1
                await one()

        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(concurrency)))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return cpu / requests * 1e6, requests / wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 32])
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop (as uvicorn does)")
    args = parser.parse_args()
    port = free_port()
    sink = start_sink(port)
    try:
        for concurrency in args.concurrency:
            coro = measure(f"http://127.0.0.1:{port}/in", args.requests, concurrency)
            if args.uvloop:
                import uvloop

                per_request, rate = uvloop.run(coro)
            else:
                per_request, rate = asyncio.run(coro)
            print(f"c={concurrency:<3} {per_request:8.0f} µs CPU/request {rate:8.0f} requests/s")
    finally:
        sink.terminate()
        sink.wait()


if __name__ == "__main__":
    main()
