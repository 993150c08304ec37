"""A real Slack- and Discord-shaped incoming-webhook receiver on 127.0.0.1.

Slack: POST /services/T000/B000/<secret> answers 200 "ok", 400 "invalid_payload" for
non-JSON, 400 "no_text" without text or blocks, 404 "no_service" for another secret.
Discord: POST /api/webhooks/<id>/<secret>[?wait=true] answers 200 with the message JSON
(or 204 without wait), 400 for empty or over-2000-character content, 404 for another secret.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from tests.support.local_http import LocalServer, ReceivedRequest

SLACK_PATH = "/services/T000/B000/slack-secret-token"
DISCORD_PATH = "/api/webhooks/1234/discord-secret-token"


class _ChatHandler(BaseHTTPRequestHandler):
    server: _ChatServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.state.received.append(
            ReceivedRequest("POST", self.path, list(self.headers.items()), body)
        )
        parts = urlsplit(self.path)
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        if parts.path.startswith("/services/"):
            self._slack(parts.path, payload)
        else:
            self._discord(parts.path, parse_qs(parts.query), payload)

    def _slack(self, path: str, payload: object) -> None:
        if path != SLACK_PATH:
            return self._answer(404, b"no_service", "text/plain")
        if not isinstance(payload, dict):
            return self._answer(400, b"invalid_payload", "text/plain")
        if not payload.get("text") and not payload.get("blocks"):
            return self._answer(400, b"no_text", "text/plain")
        return self._answer(200, b"ok", "text/plain")

    def _discord(self, path: str, query: dict[str, list[str]], payload: object) -> None:
        if path != DISCORD_PATH:
            return self._json(404, {"message": "Unknown Webhook", "code": 10015})
        content = payload.get("content") if isinstance(payload, dict) else None
        if not content or len(content) > 2000:
            return self._json(400, {"message": "Cannot send an empty message", "code": 50006})
        if query.get("wait") != ["true"]:
            return self._answer(204, b"", "text/plain")
        return self._json(
            200, {"id": "1100000000000000001", "channel_id": "42", "content": content}
        )

    def _json(self, status: int, document: dict[str, object]) -> None:
        self._answer(status, json.dumps(document).encode(), "application/json")

    def _answer(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _ChatServer(ThreadingHTTPServer):
    daemon_threads = True
    state: LocalServer


def serve_chat_webhooks(host: str = "127.0.0.1") -> Iterator[LocalServer]:
    server = _ChatServer((host, 0), _ChatHandler)
    server.state = LocalServer(host=host, port=server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server.state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
