"""`hookline serve` as a real process on a fresh SQLite file, with a user and an API token.

For tests that kill processes (the worker child, the server itself): the server runs in
its own session, so everything it started is killed with it at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

from app.settings import AppSettings, DatabaseSettings, Settings
from app.store.migrate import upgrade_to_head
from bench.processes import BIN, descendants, free_port, wait_until_up
from tests.conftest import ApiUser, make_api_user

SECRET = "serve-process-test-secret-" + "x" * 30


@contextlib.contextmanager
def serving(
    tmp_path: Path, **extra_env: str
) -> Iterator[tuple[subprocess.Popen[bytes], str, ApiUser]]:
    """Yields the `hookline serve` process, its base URL and a user; logs go to serve.log."""
    database_url = f"sqlite:///{tmp_path / 'hookline.db'}"
    upgrade_to_head(database_url)
    settings = Settings(
        app=AppSettings(env="test", secret_key=SECRET), database=DatabaseSettings(url=database_url)
    )
    user = asyncio.run(make_api_user(settings, "serve@example.com"))
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET,
        "PORT": str(port),
        "LOG_LEVEL": "WARNING",
        "INBOUND_RATE_LIMIT_PER_MINUTE": "0",
        "OUTBOUND_ALLOW_NETWORKS": "127.0.0.0/8",
        "RETRY_MAX_TRIES": "1",
        **extra_env,
    }
    with (tmp_path / "serve.log").open("wb") as log:
        serve = subprocess.Popen(
            [str(BIN / "hookline"), "serve"],
            env=env,
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    children = [serve.pid]
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(f"{base}/healthz")
        yield serve, base, user
    finally:
        children += descendants(serve.pid)
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(serve.pid, signal.SIGKILL)  # also a child whose parent died first
        serve.wait()
