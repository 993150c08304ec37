"""A real OIDC provider on localhost (oidc-provider-mock) and a man-in-the-middle for it.

`TamperingFront` sits in front of the provider: it serves the provider's discovery
document with its own token and JWKS endpoints, forwards the token request, and
re-signs the id_token with claim overrides and/or with a key it does NOT publish.
That is how the tests get bad signatures, wrong audiences and expired tokens from
an otherwise genuine provider.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import httpx
import oidc_provider_mock
from joserfc import jwt
from joserfc.jwk import RSAKey

from app.settings import SignInProvider


@dataclass
class MockProvider:
    base_url: str

    @property
    def discovery_url(self) -> str:
        return f"{self.base_url}/.well-known/openid-configuration"

    def add_user(self, sub: str, email: str, *, verified: bool) -> None:
        claims = {"email": email, "email_verified": verified}
        httpx.put(f"{self.base_url}/users/{sub}", json=claims).raise_for_status()

    def sign_in_settings(
        self, name: str = "mock", discovery_url: str | None = None
    ) -> SignInProvider:
        return SignInProvider(
            name=name,
            label="Mock ID",
            client_id="hookline-test-client",
            client_secret="hookline-test-secret",
            discovery_url=discovery_url or self.discovery_url,
        )

    def authorize(self, authorize_url: str, sub: str) -> str:
        """Act as the person on the provider's page: pick `sub`; returns the callback URL."""
        with httpx.Client() as browser:
            page = browser.get(authorize_url)
            assert page.status_code == 200, page.text
            answer = browser.post(authorize_url, data={"sub": sub})
        assert answer.status_code == 302, answer.text
        return answer.headers["location"]

    def deny(self, authorize_url: str) -> str:
        answer = httpx.post(authorize_url, data={"action": "deny"})
        assert answer.status_code == 302, answer.text
        return answer.headers["location"]


@contextmanager
def running_provider() -> Iterator[MockProvider]:
    with oidc_provider_mock.run_server_in_thread() as server:
        yield MockProvider(base_url=f"http://localhost:{server.server_port}")


@dataclass
class TamperingFront:
    provider: MockProvider
    overrides: dict[str, Any] = field(default_factory=dict)
    sign_with_unpublished_key: bool = False
    port: int = 0
    published_key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, {"kid": "k1"}))
    other_key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, {"kid": "k1"}))

    @property
    def discovery_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/.well-known/openid-configuration"

    def discovery(self) -> dict[str, Any]:
        document = httpx.get(self.provider.discovery_url).json()
        document["token_endpoint"] = f"http://127.0.0.1:{self.port}/token"
        document["jwks_uri"] = f"http://127.0.0.1:{self.port}/jwks"
        return document

    def token(self, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
        real = httpx.get(self.provider.discovery_url).json()["token_endpoint"]
        forwarded = {
            k: v for k, v in headers.items() if k.lower() in ("authorization", "content-type")
        }
        answer = httpx.post(real, content=body, headers=forwarded).json()
        if "id_token" in answer:
            claims = jwt.decode(answer["id_token"], self.provider_keys()).claims
            key = self.other_key if self.sign_with_unpublished_key else self.published_key
            answer["id_token"] = jwt.encode(
                {"alg": "RS256", "kid": "k1"}, {**claims, **self.overrides}, key
            )
        return answer

    def provider_keys(self) -> Any:
        from joserfc.jwk import KeySet

        jwks = httpx.get(httpx.get(self.provider.discovery_url).json()["jwks_uri"]).json()
        return KeySet.import_key_set(jwks)


@contextmanager
def tampering_front(front: TamperingFront) -> Iterator[TamperingFront]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def _reply(self, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            if path == "/jwks":
                self._reply({"keys": [front.published_key.as_dict(private=False)]})
            else:
                self._reply(front.discovery())

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self._reply(front.token(body, dict(self.headers.items())))

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    front.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield front
    finally:
        server.shutdown()
        server.server_close()
