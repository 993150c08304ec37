"""Real HTTP servers on 127.0.0.x that record what they receive (used across test layers).

Routes: /status/<code>[?retry_after=N], /slow (waits for `release`), /big?bytes=N,
/redirect?to=URL&code=N, /loop (redirects to itself), /exact (JSON with exact numbers), /cookie, /echo; anything
else answers 200 `{"ok": true}`.
"""

from __future__ import annotations

import json
import socket
import ssl
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

EXACT_JSON_ANSWER = b'{"id": 7615917337495251231, "price": 10.0, "name": "caf\xc3\xa9"}'


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


@dataclass
class LocalServer:
    host: str
    port: int
    received: list[ReceivedRequest] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str = "/") -> str:
        return f"http://{self.host}:{self.port}{path}"


class _RecordingHandler(BaseHTTPRequestHandler):
    server: _RecordingServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.state.received.append(
            ReceivedRequest(self.command, self.path, list(self.headers.items()), body)
        )
        parts = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        route = getattr(self, f"_route_{parts.path.strip('/').split('/')[0]}", None)
        if route is None:
            self._answer(200, b'{"ok": true}', "application/json")
        else:
            route(parts.path, query)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle

    def _answer(self, status: int, body: bytes, content_type: str, extra=()) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _route_status(self, path: str, query: dict[str, str]) -> None:
        code = int(path.rsplit("/", 1)[1])
        extra = [("Retry-After", query["retry_after"])] if "retry_after" in query else []
        self._answer(code, f"status {code}".encode(), "text/plain", extra)

    def _route_slow(self, path: str, query: dict[str, str]) -> None:
        self.server.state.release.wait(timeout=10)
        self._answer(200, b"finally", "text/plain")

    def _route_hangup(self, path: str, query: dict[str, str]) -> None:
        """Take the whole request, then drop the connection without answering."""
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def _route_big(self, path: str, query: dict[str, str]) -> None:
        self._answer(200, b"x" * int(query["bytes"]), "text/plain")

    def _route_redirect(self, path: str, query: dict[str, str]) -> None:
        code = int(query.get("code", "302"))
        self._answer(code, b"", "text/plain", [("Location", query["to"])])

    def _route_loop(self, path: str, query: dict[str, str]) -> None:
        """Redirect (307, keeping the method and body) back to itself, forever."""
        self._answer(307, b"", "text/plain", [("Location", "/loop")])

    def _route_exact(self, path: str, query: dict[str, str]) -> None:
        self._answer(200, EXACT_JSON_ANSWER, "application/json; charset=utf-8")

    def _route_cookie(self, path: str, query: dict[str, str]) -> None:
        self._answer(200, b"{}", "application/json", [("Set-Cookie", "session=abc; Path=/")])

    def _route_echo(self, path: str, query: dict[str, str]) -> None:
        payload = json.dumps({"method": self.command}).encode()
        self._answer(200, payload, "application/json")

    def _route_mirror(self, path: str, query: dict[str, str]) -> None:
        """Answer with the whole request (path, headers, body): an echo service or debugger."""
        received = self.server.state.received[-1]
        document = {
            "path": self.path,
            "headers": dict(received.headers),
            "body": received.body.decode("utf-8", "replace"),
        }
        self._answer(200, json.dumps(document).encode(), "application/json")


class _RecordingServer(ThreadingHTTPServer):
    daemon_threads = True
    # A real server's listen queue, not socketserver's 5: with dozens of steps connecting
    # at once, a full queue made the kernel reset connections the sink never read.
    request_queue_size = 128
    state: LocalServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # clients giving up is expected
            super().handle_error(request, client_address)


def serve_recording(host: str, tls: ssl.SSLContext | None = None) -> Iterator[LocalServer]:
    server = _RecordingServer((host, 0), _RecordingHandler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    server.state = LocalServer(host=host, port=server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server.state
    finally:
        server.state.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
