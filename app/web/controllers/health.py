"""Liveness and readiness: `/healthz` (the process answers) and `/readyz` (the database
and the message broker are reachable; 503 in plain text naming what is down); `/backlog`
(JSON: runs waiting for a worker and how long the oldest has waited)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from litestar import MediaType, Request, Response, get
from sqlalchemy import text

from app.settings import Settings
from app.store.db import SessionFactory
from app.web.hook_intake_backlog import backlog_gauge, backlog_report
from app.worker.broker_health import broker_problem

CHECK_TIMEOUT_SECONDS = 3.0
log = logging.getLogger("hookline.web")


@get("/healthz", sync_to_thread=False)
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@get("/readyz", media_type=MediaType.TEXT)
async def readyz(request: Request[Any, Any, Any]) -> Response[str]:
    settings: Settings = request.app.state.settings
    database, broker = await asyncio.gather(
        _database_problem(request.app.state.sessions),
        asyncio.to_thread(broker_problem, settings.broker, timeout=CHECK_TIMEOUT_SECONDS),
    )
    problems = [problem for problem in (database, broker) if problem is not None]
    if problems:
        return Response("Not ready: " + "; ".join(problems) + ".\n", status_code=503)
    return Response("ready: the database and the message broker are reachable.\n")


async def _database_problem(sessions: SessionFactory) -> str | None:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS), sessions() as session:
            connection = await session.connection()
            await connection.execute(text("SELECT 1"))
    except Exception:  # any failure means "not ready"
        log.warning("readiness: the database is unreachable", exc_info=True)
        return "the database is unreachable"
    return None


@get("/backlog")
async def backlog(request: Request[Any, Any, Any]) -> Response[Any]:
    """For operators and monitors: a growing `oldest_queued_seconds` means workers lag."""
    settings: Settings = request.app.state.settings
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            measured = await backlog_gauge(request.app.state).measure()
    except Exception:  # any failure: say so instead of a 500
        log.warning("backlog: the database is unreachable", exc_info=True)
        return Response(
            "The backlog cannot be measured: the database is unreachable.\n",
            status_code=503,
            media_type=MediaType.TEXT,
        )
    return Response(backlog_report(measured, settings.inbound.max_backlog))


health_routes = [healthz, readyz, backlog]
