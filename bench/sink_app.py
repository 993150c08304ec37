"""A destination that counts arrivals: POST anything → 200; GET /count → {"count": n, ...}."""

from __future__ import annotations

import json
import time
from typing import Any

state = {"count": 0, "first": 0.0, "last": 0.0}


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    if scope["method"] == "GET" and scope["path"] == "/count":
        body = json.dumps(state).encode()
    else:
        now = time.time()
        state["count"] += 1
        state["first"] = state["first"] or now
        state["last"] = now
        body = b"{}"
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})
