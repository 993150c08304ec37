"""What a destination (or a user's step) controls can fail a step, never crash it or resend it.

Each case came from trying to break the HTTP step: framing headers that would let one
user's request smuggle a second one onto a pooled connection, redirects that end in a
refusal or a loop after the first server already took a POST, answers with odd header
bytes, charsets that are not text codecs, host names no resolver accepts, passwords in
addresses, and answers cut or malformed in ways that deserve a plain sentence.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from pydantic import ValidationError

from app.integrations.base import ActionContext
from app.integrations.http_request import HttpRequestConfig
from tests.integrations.conftest import LocalServer, closed_port, http
from tests.support.raw_tcp import tcp_server


async def answer_raw(head: bytes, body: bytes = b"") -> AsyncIterator[str]:
    """A server that reads the request, then answers exactly `head` + `body`."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(head + body)
        await writer.drain()
        writer.close()

    async with tcp_server(handler) as url:
        yield url


@pytest.mark.parametrize(
    "name",
    [
        "Transfer-Encoding",
        "content-length",
        "Connection",
        "Keep-Alive",
        "Upgrade",
        "TE",
        "Trailer",
        "Proxy-Connection",
        "Expect",
    ],
)
def test_headers_that_frame_the_request_are_refused_when_saving(name: str) -> None:
    with pytest.raises(ValidationError, match=f'Hookline sets the "{name}" header itself'):
        HttpRequestConfig.model_validate({"url": "https://example.com/", "headers": {name: "x"}})
    with pytest.raises(ValidationError, match="header itself"):
        HttpRequestConfig.model_validate(
            {"url": "https://example.com/", "auth": "api_key", "api_key": "k"}
            | {"api_key_header": name}
        )


def test_ordinary_headers_are_still_accepted() -> None:
    headers = {"Host": "api.example.com", "Content-Type": "text/plain", "X-Trace": "1"}
    config = HttpRequestConfig.model_validate({"url": "https://example.com/", "headers": headers})
    assert config.headers == headers


async def test_a_post_redirected_to_a_refusing_host_is_not_sent_again(
    second_loopback_server: LocalServer, context: ActionContext
) -> None:
    refusing = f"http://127.0.0.1:{closed_port()}/next"
    url = second_loopback_server.url(f"/redirect?code=307&to={refusing}")

    result = await http(context, method="POST", url=url, body='{"order": 7}')

    assert len(second_loopback_server.received) == 1  # the first server took the POST
    assert result.outcome == "failed"
    assert result.retryable is False
    assert "Could not connect to 127.0.0.1: connection refused" in (result.error or "")
    assert "did not send it again" in (result.error or "")


async def test_a_get_redirected_to_a_refusing_host_is_retried(
    second_loopback_server: LocalServer, context: ActionContext
) -> None:
    refusing = f"http://127.0.0.1:{closed_port()}/next"
    url = second_loopback_server.url(f"/redirect?code=302&to={refusing}")

    result = await http(context, method="GET", url=url)

    assert result.outcome == "failed"
    assert result.retryable is True  # safe to repeat, and nothing bad happened twice


async def test_a_redirect_loop_stops_and_does_not_resend_a_post(
    local_server: LocalServer, context: ActionContext
) -> None:
    result = await http(context, method="POST", url=local_server.url("/loop"), body="{}")

    assert result.outcome == "failed"
    assert result.retryable is False
    assert (result.error or "").startswith("The destination redirected more than 5 times")
    assert len(local_server.received) == 5


async def test_a_password_in_the_address_is_sent_but_never_shown(
    local_server: LocalServer, context: ActionContext
) -> None:
    url = f"http://bob:hunter2hunter2@127.0.0.1:{local_server.port}/mirror"

    result = await http(context, method="GET", url=url)

    assert result.outcome == "succeeded"
    assert local_server.received[0].header("Authorization") == "Basic Ym9iOmh1bnRlcjJodW50ZXIy"
    assert result.request is not None
    assert result.request["url"] == f"http://bob:[hidden]@127.0.0.1:{local_server.port}/mirror"
    assert "hunter2" not in repr(result.request) + repr(result.response)


async def test_header_values_in_utf8_or_latin1_are_read_as_text(context: ActionContext) -> None:
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Utf: caf\xc3\xa9\r\n"
        b"X-Latin: caf\xe9\r\nX-Twice: a\r\nx-twice: b\r\n\r\n"
    )
    async for url in answer_raw(head, b"ok"):
        result = await http(context, method="GET", url=url)

    assert result.outcome == "succeeded", result.error
    headers = result.output["response"]["headers"]  # type: ignore[index]
    assert (headers["x-utf"], headers["x-latin"], headers["x-twice"]) == ("café", "café", "a, b")


@pytest.mark.parametrize(
    "charset", ["base64", "zlib", "hex", "bz2", "rot13", "idna", "undefined", "punycode"]
)
async def test_a_charset_that_is_not_a_text_encoding_reads_as_utf8(
    context: ActionContext, charset: str
) -> None:
    body = "héllo wörld".encode()
    head = (
        f"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset={charset}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    async for url in answer_raw(head, body):
        result = await http(context, method="GET", url=url)

    assert result.outcome == "succeeded", result.error
    assert result.output["response"]["body"] == "héllo wörld"  # type: ignore[index]
    assert result.response is not None and result.response["body"] == "héllo wörld"


@pytest.mark.parametrize("host", ["a..b", "x" * 70 + ".example", "xn--"])
async def test_a_host_name_no_resolver_accepts_fails_the_step_plainly(
    context: ActionContext, host: str
) -> None:
    result = await http(context, method="GET", url=f"http://{host}/")

    assert result.outcome == "failed"
    assert (result.error or "").startswith(f"Could not connect to {host}: the name ")
    assert "internal error" not in (result.error or "")


async def test_headers_too_long_to_read_are_named(context: ActionContext) -> None:
    head = b"HTTP/1.1 200 OK\r\nX-Huge: " + b"a" * 20_000 + b"\r\nContent-Length: 0\r\n\r\n"
    async for url in answer_raw(head):
        result = await http(context, method="GET", url=url)

    assert (result.error or "").startswith(
        "127.0.0.1 sent an answer whose headers are too long to read."
    )


async def test_an_answer_in_an_unknown_compression_is_named(context: ActionContext) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: 6\r\n\r\n"
    async for url in answer_raw(head, b"\x8b\x02\x80abc"):
        result = await http(context, method="GET", url=url)

    assert "sent a compressed answer that Hookline could not decode" in (result.error or "")


async def test_a_chunked_answer_cut_short_is_named(context: ActionContext) -> None:
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    async for url in answer_raw(head, b"10\r\nonly part"):
        result = await http(context, method="GET", url=url)

    assert (result.error or "").startswith(
        "127.0.0.1 closed the connection before sending its whole answer."
    )
