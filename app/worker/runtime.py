"""What a worker process holds: its settings, database engine, outbound client, dispatcher.

Units of work go through `transaction()`: the worker's own engine, or, in the embedded
worker, the web process's `GroupCommitter` (so steps and inbound events share commits).

Engine and client are created lazily inside the worker's event loop (asyncpg and aiohttp
connections belong to the loop that made them).
"""

from __future__ import annotations

import contextlib
from datetime import timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from app.integrations.outbound_client import OutboundClient, build_outbound_client
from app.integrations.ssrf_guard import OutboundPolicy
from app.settings import Settings
from app.store.db import SessionFactory, create_engine, create_session_factory, transaction
from app.store.group_commit import GroupCommitter
from app.store.sqlite_writer import UnitRunner
from app.worker.broker import Dispatcher
from app.worker.step_configs import StepConfigs
from app.workflows.retries import RetryPolicy


def outbound_policy(settings: Settings) -> OutboundPolicy:
    out = settings.outbound
    return OutboundPolicy(
        allow_networks=tuple(out.allow_networks),
        connect_timeout=out.connect_timeout,
        read_timeout=out.read_timeout,
        total_timeout=out.total_timeout,
        max_response_bytes=out.max_response_bytes,
    )


class WorkerRuntime:
    def __init__(
        self, settings: Settings, dispatcher: Dispatcher, *, connections: int | None = None
    ) -> None:
        self.settings = settings
        self.dispatcher = dispatcher
        self.policy = outbound_policy(settings)
        self.lease = timedelta(seconds=settings.broker.lease_seconds)
        self.step_configs = StepConfigs(settings)
        self.retry_policy = RetryPolicy(
            max_tries=settings.broker.retry_max_tries,
            first_delay_seconds=settings.broker.retry_first_delay_seconds,
        )
        self._sessions: SessionFactory | None = None
        self._client: OutboundClient | None = None
        # Pool size = calls made at once (embedded loop worker: its steps at once; Dramatiq:
        # one a thread, at least 32 so a thread's calls never wait for a free connection).
        self.outbound_connections = connections or max(32, settings.broker.worker_threads)
        self._committer: GroupCommitter | None = None
        # Embedded on SQLite: claims and records take a fast path on the writer thread.
        self.sqlite_writer: UnitRunner | None = None

    def use_shared_writer(self, sessions: SessionFactory, committer: GroupCommitter) -> None:
        """Write through the web process's group committer (embedded, same event loop)."""
        self._sessions = sessions
        self._committer = committer
        self.sqlite_writer = committer.sqlite_writer

    def transaction(self) -> contextlib.AbstractAsyncContextManager[AsyncSession]:
        """One unit of work: grouped with others' when a committer is shared, else its own."""
        if self._committer is not None:
            return self._committer.transaction()
        return transaction(self.sessions)

    @property
    def sessions(self) -> SessionFactory:
        if self._sessions is None:
            self._sessions = create_session_factory(create_engine(self.settings.database))
        return self._sessions

    @property
    def client(self) -> OutboundClient:
        if self._client is None:
            self._client = build_outbound_client(
                self.policy, max_connections=self.outbound_connections
            )
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        if self._sessions is not None and self._committer is None:  # a shared engine is not ours
            engine = self._sessions.kw.get("bind")
            if engine is not None:
                await engine.dispose()
            self._sessions = None
