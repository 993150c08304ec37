"""A small fake GitHub on localhost: the OAuth web flow and the user API, as GitHub does them.

Web side (`/login/oauth/authorize`, `/login/oauth/access_token`): codes are single use,
bound to the client and redirect URI, and checked against the PKCE challenge; the token
endpoint answers errors with HTTP 200 and an `error` field (GitHub's way) and answers
form-encoded unless asked for JSON. API side (`/api/user`, `/api/user/emails`, the
GitHub Enterprise layout): needs the access token. `token_failure` makes the token
endpoint fail, either with a GitHub error code or with a plain HTTP status.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from app.settings import SignInProvider, providers_from_environ

CLIENT_ID = "gh-test-client"
CLIENT_SECRET = "gh-test-secret"


@dataclass
class GitHubAccount:
    id: int
    login: str
    emails: list[dict[str, Any]]


@dataclass
class _Grant:
    login: str
    redirect_uri: str
    code_challenge: str | None


@dataclass
class FakeGitHub:
    base_url: str = ""
    accounts: dict[str, GitHubAccount] = field(default_factory=dict)
    token_failure: str | int | None = None
    codes: dict[str, _Grant] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_account(
        self, login: str, email: str, *, verified: bool, other_emails: tuple[str, ...] = ()
    ) -> None:
        """An account whose primary e-mail is `email`; `other_emails` are verified extras."""
        emails = [{"email": email, "primary": True, "verified": verified, "visibility": None}]
        emails += [{"email": e, "primary": False, "verified": True} for e in other_emails]
        self.accounts[login] = GitHubAccount(1000 + len(self.accounts), login, emails)

    def sign_in_settings(self) -> SignInProvider:
        """The GitHub preset as an operator configures it (Enterprise-style URLs)."""
        environ = {
            "OAUTH_GITHUB_CLIENT_ID": CLIENT_ID,
            "OAUTH_GITHUB_CLIENT_SECRET": CLIENT_SECRET,
            "OAUTH_GITHUB_WEB_URL": self.base_url,
            "OAUTH_GITHUB_API_URL": f"{self.base_url}/api",
        }
        (github,) = providers_from_environ(environ)
        return github

    def authorize(self, authorize_url: str, login: str) -> str:
        """Act as `login` clicking 'Authorize' on GitHub's page; returns the callback URL."""
        answer = httpx.get(f"{authorize_url}&{urlencode({'as': login})}")
        assert answer.status_code == 302, answer.text
        return answer.headers["location"]

    def deny(self, authorize_url: str) -> str:
        answer = httpx.get(f"{authorize_url}&deny=1")
        assert answer.status_code == 302, answer.text
        return answer.headers["location"]

    # --- server side -----------------------------------------------------------------

    def grant(self, query: dict[str, str]) -> tuple[int, str]:
        """(status, Location or error text) for GET /login/oauth/authorize."""
        if query.get("client_id") != CLIENT_ID or not query.get("redirect_uri"):
            return 404, "unknown client_id or missing redirect_uri"
        if query.get("code_challenge") and query.get("code_challenge_method") != "S256":
            return 400, "only S256 code challenges are accepted"
        back = {"state": query.get("state", "")}
        if query.get("deny"):
            back |= {"error": "access_denied", "error_description": "The user has denied."}
        elif query.get("as") not in self.accounts:
            return 400, "no such GitHub account"
        else:
            code = secrets.token_hex(10)
            with self.lock:
                self.codes[code] = _Grant(
                    query["as"], query["redirect_uri"], query.get("code_challenge")
                )
            back = {"code": code, **back}
        return 302, f"{query['redirect_uri']}?{urlencode(back)}"

    def exchange(self, form: dict[str, str], authorization: str) -> tuple[int, dict[str, str]]:
        """(status, body) for POST /login/oauth/access_token."""
        self.token_requests.append(form)
        if isinstance(self.token_failure, int):
            return self.token_failure, {"message": "Server Error"}
        if self.token_failure is not None:
            return 200, {"error": self.token_failure, "error_description": "Refused."}
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        if authorization.startswith("Basic "):
            client_id, _, client_secret = (
                base64.b64decode(authorization[6:]).decode().partition(":")
            )
        if (client_id, client_secret) != (CLIENT_ID, CLIENT_SECRET):
            return 200, {"error": "incorrect_client_credentials"}
        with self.lock:
            grant = self.codes.pop(form.get("code", ""), None)  # single use
        if grant is None or grant.redirect_uri != form.get("redirect_uri"):
            return 200, {"error": "bad_verification_code"}
        if grant.code_challenge is not None:
            verifier = form.get("code_verifier", "").encode()
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
            if digest.decode() != grant.code_challenge:
                return 200, {"error": "bad_verification_code"}
        token = "gho_" + secrets.token_hex(16)
        self.tokens[token] = grant.login
        return 200, {"access_token": token, "token_type": "bearer", "scope": "read:user,user:email"}

    def api(self, path: str, authorization: str) -> tuple[int, Any]:
        scheme, _, token = authorization.partition(" ")
        login = self.tokens.get(token) if scheme.lower() in ("bearer", "token") else None
        if login is None:
            return 401, {"message": "Requires authentication"}
        account = self.accounts[login]
        if path == "/api/user":
            return 200, {"id": account.id, "login": account.login, "email": None}
        if path == "/api/user/emails":
            return 200, account.emails
        return 404, {"message": "Not Found"}


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes, content_type: str, location: str = "") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if location:
            self.send_header("Location", location)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, payload: Any) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json; charset=utf-8")

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path == "/login/oauth/authorize":
            query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
            status, answer = self.server.github.grant(query)
            if status == 302:
                self._send(302, b"", "text/html", location=answer)
            else:
                self._send(status, answer.encode(), "text/plain")
            return
        self._json(*self.server.github.api(parts.path, self.headers.get("Authorization", "")))

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        form = {k: v[0] for k, v in parse_qs(body).items()}
        github = self.server.github
        status, answer = github.exchange(form, self.headers.get("Authorization", ""))
        if "application/json" in self.headers.get("Accept", ""):
            self._json(status, answer)
        else:  # GitHub's default answer is form-encoded
            self._send(status, urlencode(answer).encode(), "application/x-www-form-urlencoded")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    github: FakeGitHub


@contextmanager
def running_fake_github() -> Iterator[FakeGitHub]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.github = FakeGitHub(base_url=f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server.github
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
