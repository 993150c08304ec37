"""Compressed bodies: gzip and deflate are read within a cap; anything else says why."""

from __future__ import annotations

import gzip
import zlib

import pytest

from app.inbound.content_encoding import decoded_body

JSON = b'{"order": {"id": 42, "total": "10.00"}}'


def _gzip(data: bytes) -> bytes:
    """gzip with a fixed timestamp, so the test's parameters are the same in every worker."""
    return gzip.compress(data, mtime=0)


@pytest.mark.parametrize(
    ("coding", "compressed"),
    [
        pytest.param("gzip", _gzip(JSON), id="gzip"),
        pytest.param("x-gzip", _gzip(JSON), id="x-gzip"),
        pytest.param("GZIP", _gzip(JSON), id="upper-case"),
        pytest.param("deflate", zlib.compress(JSON), id="zlib-wrapped-deflate"),  # as the RFC says
        # raw deflate without the zlib wrapper, as some servers send it
        pytest.param("deflate", zlib.compress(JSON)[2:-4], id="raw-deflate"),
        pytest.param("gzip, identity", _gzip(JSON), id="gzip-then-identity"),
        # the last coding applied is undone first
        pytest.param("deflate, gzip", _gzip(zlib.compress(JSON)), id="deflate-then-gzip"),
    ],
)
def test_readable_codings_give_the_original_bytes(coding: str, compressed: bytes) -> None:
    assert decoded_body(coding, compressed) == (JSON, ())


@pytest.mark.parametrize("coding", [None, "", "identity"])
def test_no_coding_keeps_the_body(coding: str | None) -> None:
    assert decoded_body(coding, JSON) == (JSON, ())


def test_an_unknown_coding_keeps_the_body_and_names_it() -> None:
    body, [warning] = decoded_body("br", b"\x8b\x02\x80hello\x03")
    assert body == b"\x8b\x02\x80hello\x03"
    assert warning.startswith("The body is compressed with br, which Hookline cannot read")


def test_bytes_that_do_not_decompress_are_kept_with_a_warning() -> None:
    body, [warning] = decoded_body("gzip", JSON)
    assert body == JSON
    assert "says it is gzip-compressed but does not decompress" in warning


def test_a_truncated_stream_is_not_taken_for_the_whole_body() -> None:
    cut = _gzip(JSON)[:-12]
    body, [warning] = decoded_body("gzip", cut)
    assert body == cut and "does not decompress" in warning


def test_a_bomb_stops_at_the_cap_and_keeps_the_compressed_body() -> None:
    bomb = gzip.compress(b"\0" * 5_000_000)  # ~5 kB that would inflate to 5 MB
    body, [warning] = decoded_body("gzip", bomb, cap=1024 * 1024)
    assert body == bomb
    assert "larger than 1 MB once decompressed" in warning
