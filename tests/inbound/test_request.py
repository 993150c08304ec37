"""The received request: header lookups, repeats in order, decoded and raw query."""

from __future__ import annotations

from app.inbound.request import InboundRequest
from tests.inbound.builders import make_request


def _request() -> InboundRequest:
    return make_request(
        b"{}",
        [
            ("Content-Type", "application/json; charset=utf-8"),
            ("X-Tag", "a"),
            ("x-tag", "b"),
            ("X-TAG", "c"),
        ],
        url="https://h.example/hooks/t?a=1&name=Ada+L%C3%B6w&a=2&empty=&flag",
    )


def test_header_lookup_is_case_insensitive_and_keeps_repeats_in_order() -> None:
    request = _request()
    assert request.header("x-tag") == "a"
    assert request.header_all("X-Tag") == ["a", "b", "c"]
    assert request.header("missing") is None
    assert request.header_all("missing") == []


def test_content_type_and_media_type() -> None:
    request = _request()
    assert request.content_type == "application/json; charset=utf-8"
    assert request.media_type == "application/json"
    assert make_request(b"").media_type is None


def test_query_is_decoded_with_repeats_and_raw_is_kept() -> None:
    request = _request()
    assert request.raw_query == "a=1&name=Ada+L%C3%B6w&a=2&empty=&flag"
    assert request.query_pairs == [
        ("a", "1"),
        ("name", "Ada Löw"),
        ("a", "2"),
        ("empty", ""),
        ("flag", ""),
    ]
    assert request.query_dict == {"a": ["1", "2"], "name": "Ada Löw", "empty": "", "flag": ""}
    assert request.query_value("a") == "1"
