"""Liveness and readiness: `/healthz` (the process answers), `/readyz` (database reachable)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from sqlalchemy import text

from app.store.db import SessionFactory


@get("/healthz", sync_to_thread=False)
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@get("/readyz")
async def readyz(request: Request[Any, Any, Any]) -> Response[dict[str, str]]:
    sessions: SessionFactory = request.app.state.sessions
    try:
        async with sessions() as session:
            connection = await session.connection()
            await connection.execute(text("SELECT 1"))
    except Exception:  # any failure means "not ready"; the reason is in the logs
        return Response({"status": "database unreachable"}, status_code=503)
    return Response({"status": "ok"})


health_routes = [healthz, readyz]
