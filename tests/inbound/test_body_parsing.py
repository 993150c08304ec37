"""Body parsing by content type: every shape real senders use, and never an exception."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.inbound.body_parsing import ParsedBody, parse_body

JSON_CASES = [
    ("object", "application/json", b'{"a": 1}', {"a": 1}),
    ("array", "application/json", b"[1, 2]", [1, 2]),
    ("string scalar", "application/json", b'"hi"', "hi"),
    ("number scalar", "application/json", b"42", 42),
    ("null scalar", "application/json", b"null", None),
    ("charset param", "application/json; charset=utf-8", b'{"a": "\xc3\xa9"}', {"a": "é"}),
    ("upper-case type", "Application/JSON", b'{"a": 1}', {"a": 1}),
    ("+json type", "application/vnd.github+json", b'{"a": 1}', {"a": 1}),
    ("cloudevents", "application/cloudevents+json; charset=UTF-8", b'{"a": 1}', {"a": 1}),
    ("UTF-8 BOM", "application/json", b'\xef\xbb\xbf{"a": 1}', {"a": 1}),
    ("latin-1 charset", "application/json; charset=iso-8859-1", b'{"a": "\xe9"}', {"a": "é"}),
]


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [case[1:] for case in JSON_CASES],
    ids=[c[0] for c in JSON_CASES],
)
def test_parse_body_reads_declared_json(content_type: str, body: bytes, expected: Any) -> None:
    parsed = parse_body(content_type, body)
    assert parsed == ParsedBody("json", expected)


def test_parse_body_keeps_decimal_and_big_integer_digits() -> None:
    parsed = parse_body("application/json", b'{"amount": 10.0, "id": 7615917337495251231}')
    assert parsed.value["amount"] == Decimal("10.0")
    assert str(parsed.value["amount"]) == "10.0"
    assert parsed.value["id"] == 7615917337495251231
    assert isinstance(parsed.value["id"], int)


SNIFFED_JSON = [
    ("missing type", None, "No Content-Type was sent,"),
    ("text/plain", "text/plain", "Content-Type said text/plain"),
    ("text/plain charset", "text/plain; charset=utf-8", "Content-Type said text/plain"),
    (
        "form",
        "application/x-www-form-urlencoded",
        "Content-Type said application/x-www-form-urlencoded",
    ),
]


@pytest.mark.parametrize(
    ("content_type", "said"), [c[1:] for c in SNIFFED_JSON], ids=[c[0] for c in SNIFFED_JSON]
)
def test_parse_body_reads_undeclared_json_and_says_so(content_type: str | None, said: str) -> None:
    parsed = parse_body(content_type, b'{"total": 10.0}')
    assert parsed.kind == "json"
    assert parsed.value == {"total": Decimal("10.0")}
    assert parsed.warnings == (f"{said} but the body is valid JSON, so it was parsed as JSON",)


def test_parse_body_leaves_plain_text_scalars_as_text() -> None:
    assert parse_body("text/plain", b"true") == ParsedBody("text", "true")


FORM_CASES = [
    ("simple", b"a=1&b=two", {"a": "1", "b": "two"}),
    ("plus is space", b"name=Ada+Lovelace&q=a%2Bb", {"name": "Ada Lovelace", "q": "a+b"}),
    ("repeated keys", b"tag=x&tag=y&tag=z", {"tag": ["x", "y", "z"]}),
    ("blank value", b"a=&b", {"a": "", "b": ""}),
    ("nested brackets", b"a[b][c]=1&a[b][d]=2", {"a": {"b": {"c": "1", "d": "2"}}}),
    ("bracket list", b"items[]=1&items[]=2", {"items": ["1", "2"]}),
    (
        "list of objects",
        b"rows[][n]=a&rows[][m]=b&rows[][n]=c",
        {"rows": [{"n": "a", "m": "b"}, {"n": "c"}]},
    ),
    ("encoded brackets", b"a%5Bb%5D=1", {"a": {"b": "1"}}),
    ("utf-8 escapes", b"city=M%C3%BCnchen", {"city": "München"}),
    (
        "Stripe-ish metadata",
        b"metadata[order_id]=7615917337495251231",
        {"metadata": {"order_id": "7615917337495251231"}},
    ),
]


@pytest.mark.parametrize(
    ("body", "expected"), [c[1:] for c in FORM_CASES], ids=[c[0] for c in FORM_CASES]
)
def test_parse_body_nests_form_fields(body: bytes, expected: dict[str, Any]) -> None:
    parsed = parse_body("application/x-www-form-urlencoded", body)
    assert parsed == ParsedBody("form", expected)


def test_parse_body_keeps_clashing_form_keys_flat_with_a_warning() -> None:
    parsed = parse_body("application/x-www-form-urlencoded", b"a=1&a[b]=2")
    assert parsed.value == {"a": "1", "a[b]": "2"}
    assert "'a[b]'" in parsed.warnings[0]


def test_parse_body_decodes_form_by_declared_charset() -> None:
    parsed = parse_body("application/x-www-form-urlencoded; charset=iso-8859-1", b"city=M%FCnchen")
    assert parsed.value == {"city": "München"}


def test_parse_body_keeps_undecodable_form_as_bytes_with_warning() -> None:
    parsed = parse_body("application/x-www-form-urlencoded", b"city=M%FCnchen")
    assert parsed.kind == "binary"
    assert "not valid utf-8" in parsed.warnings[0]


def _multipart(parts: list[tuple[str, str | None, str | None, bytes]], boundary: str) -> bytes:
    chunks = []
    for name, filename, content_type, data in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        head = f"--{boundary}\r\nContent-Disposition: {disposition}\r\n"
        if content_type:
            head += f"Content-Type: {content_type}\r\n"
        chunks.append(head.encode() + b"\r\n" + data + b"\r\n")
    return b"".join(chunks) + f"--{boundary}--\r\n".encode()


def test_parse_body_reads_multipart_fields_and_files() -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    body = _multipart(
        [
            ("user[name]", None, None, "Zoë".encode()),
            ("tags[]", None, None, b"a"),
            ("tags[]", None, None, b"b"),
            ("avatar", "me.png", "image/png", png),
        ],
        "XyZ",
    )
    parsed = parse_body("multipart/form-data; boundary=XyZ", body)
    assert parsed.kind == "multipart"
    assert parsed.value["user"] == {"name": "Zoë"}
    assert parsed.value["tags"] == ["a", "b"]
    [upload] = parsed.files
    assert (upload.field, upload.filename, upload.content_type) == ("avatar", "me.png", "image/png")
    assert upload.size == len(png)
    assert upload.sha256 == hashlib.sha256(png).hexdigest()
    assert upload.data == png
    assert parsed.value["avatar"]["sha256"] == upload.sha256


def test_parse_body_reports_multipart_without_boundary() -> None:
    parsed = parse_body("multipart/form-data", b"--x\r\n\r\nhello\r\n--x--")
    assert parsed.kind == "text"
    assert "no boundary" in parsed.warnings[0]


def test_parse_body_reports_broken_multipart() -> None:
    parsed = parse_body("multipart/form-data; boundary=abc", b"this is not multipart")
    assert parsed.kind == "text"
    assert "multipart body could not be read" in parsed.warnings[0]


XML_CASES = [
    (
        "simple",
        b"<order><id>7</id><total>10.0</total></order>",
        {"order": {"id": "7", "total": "10.0"}},
    ),
    (
        "attributes and repeats",
        b'<list type="a"><item>1</item><item>2</item></list>',
        {"list": {"@type": "a", "item": ["1", "2"]}},
    ),
    ("empty element", b"<ping/>", {"ping": None}),
    (
        "text with attribute",
        b'<amount currency="EUR">5</amount>',
        {"amount": {"@currency": "EUR", "#text": "5"}},
    ),
    (
        "namespaces",
        b'<s:Envelope xmlns:s="urn:s"><s:Body>x</s:Body></s:Envelope>',
        {"Envelope": {"Body": "x"}},
    ),
    (
        "declared encoding",
        '<?xml version="1.0" encoding="ISO-8859-1"?><c>é</c>'.encode("latin-1"),
        {"c": "é"},
    ),
]


@pytest.mark.parametrize(
    ("body", "expected"), [c[1:] for c in XML_CASES], ids=[c[0] for c in XML_CASES]
)
@pytest.mark.parametrize("content_type", ["application/xml", "text/xml", "application/atom+xml"])
def test_parse_body_reads_xml_as_data(content_type: str, body: bytes, expected: Any) -> None:
    assert parse_body(content_type, body) == ParsedBody("xml", expected)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<lolz>&lol2;</lolz>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><r>&xxe;</r>"""


@pytest.mark.parametrize("body", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["bomb", "external"])
def test_parse_body_refuses_dangerous_xml_and_keeps_text(body: bytes) -> None:
    parsed = parse_body("application/xml", body)
    assert parsed.kind == "text"
    assert parsed.value == body.decode()
    assert "refused for safety" in parsed.warnings[0]


def test_parse_body_reports_malformed_xml() -> None:
    parsed = parse_body("application/xml", b"<a><b></a>")
    assert parsed.kind == "text"
    assert "not well-formed XML" in parsed.warnings[0]


TEXT_CASES = [
    ("plain", "text/plain", b"hello", ParsedBody("text", "hello")),
    ("csv", "text/csv", b"a,b\n1,2", ParsedBody("text", "a,b\n1,2")),
    ("html latin-1", "text/html; charset=iso-8859-1", b"caf\xe9", ParsedBody("text", "café")),
    (
        "shift_jis",
        "text/plain; charset=shift_jis",
        "日本".encode("shift_jis"),
        ParsedBody("text", "日本"),
    ),
    ("missing type text", None, b"just words", ParsedBody("text", "just words")),
    ("empty", "application/json", b"", ParsedBody("empty", None)),
    ("empty no type", None, b"", ParsedBody("empty", None)),
    ("octet-stream", "application/octet-stream", b"\x00\x01", ParsedBody("binary", None)),
    ("image", "image/png", b"\x89PNG", ParsedBody("binary", None)),
]


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [c[1:] for c in TEXT_CASES],
    ids=[c[0] for c in TEXT_CASES],
)
def test_parse_body_reads_text_empty_and_binary(
    content_type: str | None, body: bytes, expected: ParsedBody
) -> None:
    assert parse_body(content_type, body) == expected


UNDECODABLE = [
    ("text without charset", "text/plain", "not valid utf-8 text"),
    ("no content type", None, "No Content-Type was sent and the body is not UTF-8"),
    ("json", "application/json", "not valid utf-8 text"),
]


@pytest.mark.parametrize(
    ("content_type", "warning"), [c[1:] for c in UNDECODABLE], ids=[c[0] for c in UNDECODABLE]
)
def test_parse_body_keeps_undecodable_bytes_with_warning(
    content_type: str | None, warning: str
) -> None:
    parsed = parse_body(content_type, b"caf\xe9 \xff\xfe")
    assert parsed.kind == "binary"
    assert parsed.value is None
    assert warning in parsed.warnings[-1]


def test_parse_body_shows_invalid_declared_json_as_text() -> None:
    parsed = parse_body("application/json", b"{not json")
    assert parsed.kind == "text"
    assert parsed.value == "{not json"
    assert parsed.warnings[0].startswith("Content-Type said application/json but the body is not")


@pytest.mark.parametrize("charset", ["klingon", "base64", "rot13"])
def test_parse_body_reads_unknown_charset_as_utf8_with_warning(charset: str) -> None:
    parsed = parse_body(f"text/plain; charset={charset}", b"hello")
    assert parsed.value == "hello"
    assert f"{charset!r} is unknown" in parsed.warnings[0]


CONTENT_TYPES = [
    None,
    "",
    "application/json",
    "application/json; charset=utf-16",
    "application/x+json",
    "text/plain",
    "text/plain; charset=latin-1",
    "text/html; charset=bogus",
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=utf-16",
    "multipart/form-data",
    "multipart/form-data; boundary=b",
    "multipart/form-data; boundary=",
    'multipart/form-data; boundary="é"',
    "application/xml",
    "text/xml; charset=ascii",
    "application/soap+xml",
    "application/octet-stream",
    ";;;",
    "garbage",
    "text/",
    "text/plain; charset=base64",
    "application/json; charset=rot13",
    "application/x-www-form-urlencoded; charset=zlib",
    "application/xml; charset=hex",
]
FORMISH = st.lists(
    st.sampled_from(
        [
            b"a",
            b"[",
            b"]",
            b"=",
            b"&",
            b"%",
            b"+",
            b"{",
            b"}",
            b"--b",
            b"\r\n",
            b"<",
            b">",
            b"\xff",
            b'"',
            b"1",
        ]
    ),
    max_size=40,
).map(b"".join)


@settings(max_examples=400, deadline=None)
@given(content_type=st.sampled_from(CONTENT_TYPES), body=st.one_of(st.binary(), FORMISH))
def test_parse_body_never_raises(content_type: str | None, body: bytes) -> None:
    parsed = parse_body(content_type, body)
    assert isinstance(parsed, ParsedBody)
    assert parsed.kind in ("json", "form", "multipart", "xml", "text", "empty", "binary")


def test_parse_body_survives_deep_nesting() -> None:
    deep_json = parse_body("application/json", b"[" * 100_000 + b"]" * 100_000)
    deep_xml = parse_body("application/xml", b"<a>" * 50_000 + b"</a>" * 50_000)
    assert deep_json.kind == "text"
    assert deep_xml.kind == "text"
