"""The raw-ASGI front of the webhook edge: `/hooks/{token}` answered before Litestar routes.

Accepting one webhook through Litestar cost ~450-550 µs of CPU, most of it in layers the
hook URL does not use (exception middleware, CSRF/session wrappers, route resolution, DI
and response objects, `before_send`); bare uvicorn is ~25-60 µs (issue 7). So
`HookFrontApp.__call__` recognises the hook route's own paths and methods, reads the body
with the same size limit and calls the same functions as the Litestar route
(`controllers/hooks.py`: `answer_hook`, `frozen_request`, the backlog check), then
writes the answer itself with what Litestar would add: Content-Type, Content-Length and
the security headers. Everything else, and every case Litestar answers on its own (body
over the limit, an invalid Content-Length, a client gone mid-body, other methods), goes
to Litestar unchanged; the body read so far is replayed to it. Unexpected errors get the
answer of the app's exception handlers (errors.py), as they would inside Litestar.
`tests/web/test_hook_front_parity.py` holds both doors to the same answers.
"""

from __future__ import annotations

import math
from typing import Any, cast

from litestar import Litestar, Request, Response
from litestar.enums import MediaType
from litestar.types import HTTPScope, Message, Receive, Send
from litestar.utils.helpers import get_enum_string_value

from app.web.controllers.hooks import HOOK_METHODS, answer_hook, frozen_request
from app.web.errors import EXCEPTION_HANDLERS
from app.web.hook_intake_backlog import refuse_when_backlogged
from app.web.security_headers import ALWAYS, PAGE_POLICY

PREFIX = "/hooks/"
METHODS = frozenset(HOOK_METHODS)
# What add_security_headers (a before_send hook, skipped here) adds on /hooks/ paths.
SECURITY_HEADERS = tuple(
    (name.encode(), value.encode())
    for name, value in {**ALWAYS, "content-security-policy": PAGE_POLICY}.items()
)
NO_BODY_STATUSES = frozenset({204, 304})


class HookFrontApp(Litestar):
    """Litestar with the webhook URLs answered first; `hook_front = False` turns that off."""

    hook_front = True

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and self.hook_front:
            token = hook_token(scope)
            if token is not None:
                await self._receive_hook(scope, receive, send, token)
                return
        await super().__call__(scope, receive, send)

    async def _receive_hook(
        self, scope: HTTPScope, receive: Receive, send: Send, token: str
    ) -> None:
        state = self.state
        replay = receive
        try:
            answer = refuse_when_backlogged(state, state.settings.inbound.max_backlog)
            if answer is None:
                limit = state.settings.inbound.max_body_bytes or math.inf
                body, replay = await read_body(scope, receive, limit)
                if body is None:  # too large, malformed or abandoned: Litestar's own answer
                    answer = None
                else:
                    answer = await answer_hook(state, token, frozen_request(scope, body))
            messages = None if answer is None else encode_response(answer)
        except Exception as exc:  # what Litestar's exception middleware would answer
            messages = encode_response(self._error_answer(scope, exc))
        if messages is None:
            await super().__call__(scope, replay, send)
            return
        await send(messages[0])
        await send(messages[1])

    def _error_answer(self, scope: HTTPScope, exc: Exception) -> Response[Any]:
        scope["app"] = scope["litestar_app"] = self
        for kind in type(exc).__mro__:
            handler = EXCEPTION_HANDLERS.get(kind)
            if handler is not None:
                return cast(Response[Any], handler(Request(scope), exc))
        raise exc  # unreachable: EXCEPTION_HANDLERS has one for Exception


def hook_token(scope: HTTPScope) -> str | None:
    """The token when this request is for the hook route (`/hooks/{token}[/]`, its methods)."""
    path = scope["path"]
    if not path.startswith(PREFIX) or scope["method"] not in METHODS or scope.get("root_path"):
        return None
    token = path[len(PREFIX) :]
    if token.endswith("/"):
        token = token[:-1]
    return token if token and "/" not in token else None


async def read_body(
    scope: HTTPScope, receive: Receive, limit: float
) -> tuple[bytes | None, Receive]:
    """The whole body, or None and a `receive` that replays what was read (for Litestar)."""
    announced = next((value for name, value in scope["headers"] if name == b"content-length"), None)
    if announced is not None:
        try:
            if int(announced) > limit:
                return None, receive
        except ValueError:
            return None, receive
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunks.append(message)  # type: ignore[arg-type]
        if message["type"] != "http.request":
            return None, _replaying(chunks, receive)
        size += len(message["body"])
        if size > limit:
            return None, _replaying(chunks, receive)
        if not message.get("more_body", False):
            break
    if len(chunks) == 1:
        return cast(bytes, chunks[0]["body"]), receive  # type: ignore[call-overload]
    return b"".join(m["body"] for m in chunks), receive  # type: ignore[call-overload]


def _replaying(messages: list[Any], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Any:
        return pending.pop(0) if pending else await receive()

    return replay


def encode_response(response: Response[Any]) -> tuple[Message, Message]:
    """The two ASGI messages Litestar would send for `response` on a hook URL."""
    status = response.status_code or 200
    if status in NO_BODY_STATUSES or status < 200 or response.cookies or response.background:
        return _through_litestar(response)
    media_type = get_enum_string_value(response.media_type or MediaType.JSON)
    body = response.render(response.content, media_type)
    headers = [
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in response.headers.items()
    ]
    names = {name for name, _ in headers}
    if b"content-type" not in names:
        kind = (
            f"{media_type}; charset={response.encoding}"
            if media_type.startswith("text/")
            else media_type
        )
        headers.append((b"content-type", kind.encode("latin-1")))
    if b"content-length" not in names:
        headers.append((b"content-length", str(len(body)).encode()))
    headers.extend(pair for pair in SECURITY_HEADERS if pair[0] not in names)
    start: Message = {"type": "http.response.start", "status": status, "headers": headers}
    return start, {"type": "http.response.body", "body": body, "more_body": False}


def _through_litestar(response: Response[Any]) -> tuple[Message, Message]:
    """Rare shapes (no-body statuses, cookies): Litestar's own rendering, then the headers."""
    asgi = response.to_asgi_response(app=None, request=cast(Request[Any, Any, Any], None))
    headers = asgi.encode_headers()
    names = {name for name, _ in headers}
    headers.extend(pair for pair in SECURITY_HEADERS if pair[0] not in names)
    start: Message = {"type": "http.response.start", "status": asgi.status_code, "headers": headers}
    return start, {"type": "http.response.body", "body": asgi.body, "more_body": False}
