"""JSON bodies the demo refuses: 400 badRequest (415 for other charsets), nothing created."""

import pytest

from .conftest import (
    COLLECTION,
    JSON,
    assert_fault,
    create_body,
    create_request,
    unique_name,
    widget_names,
)
from .rawhttp import request

pytestmark = pytest.mark.slow  # every case talks to a real stackapi-server

DEPTH = 50_000  # levels of nesting: 100 kB of brackets, under the 112 KiB size limit

MALFORMED = {
    "truncated": b'{"widget": {"name": "trunc',
    "array instead of object": b'[{"widget": {"name": "a"}}]',
    "string instead of object": b'"widget"',
    "number instead of object": b"42",
    "null": b"null",
    "invalid utf-8": b'{"widget": {"name": "\xff\xfe"}}',
    "utf-8 surrogate bytes": b'{"widget": {"name": "\xed\xa0\x80"}}',
    "NaN": b'{"widget": {"name": "a", "size": NaN}}',
    "Infinity": b'{"widget": {"name": "a", "size": Infinity}}',
    "-Infinity": b'{"widget": {"name": "a", "size": -Infinity}}',
    "deeply nested arrays": b'{"widget": ' + b"[" * DEPTH + b"]" * DEPTH + b"}",
    "deeply nested objects": b'{"a":' * 18_000 + b"1" + b"}" * 18_000,
    "duplicate keys": b'{"widget": {"name": "a"}, "widget": {"name": "b"}}',
    "duplicate inner keys": b'{"widget": {"name": "a", "name": "b"}}',
    "huge integer": b'{"widget": {"name": "a", "size": 1' + b"0" * 5000 + b"}}",
    "integer beyond 64 bits": b'{"widget": {"name": "a", "size": 18446744073709551616}}',
    "float overflowing to inf": b'{"widget": {"name": "a", "size": 1e999}}',
    "trailing garbage": b'{"widget": {"name": "a"}} x',
    "two documents": b'{"widget": {"name": "a"}}{"widget": {"name": "b"}}',
    "single quotes": b"{'widget': {'name': 'a'}}",
    "comment": b'{"widget": {"name": "a"} /* hi */}',
    "bom": b'\xef\xbb\xbf{"widget": {"name": "a"}}',
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_json_is_400_and_creates_nothing(demo, body):
    before = widget_names(demo)
    assert len(body) < 114688
    assert_fault(demo.exchange(create_request(body)), 400)
    assert widget_names(demo) == before
    demo.still_serving()


@pytest.mark.parametrize("body", [b"", b"   ", b"\r\n"], ids=["empty", "blanks", "crlf"])
def test_an_empty_body_where_an_object_is_needed_is_400(demo, body):
    assert_fault(demo.exchange(create_request(body)), 400)
    demo.still_serving()


@pytest.mark.parametrize(
    "content_type",
    ["application/json; charset=utf-8", "application/json;charset=UTF-8", "application/json"],
)
def test_json_in_utf8_is_accepted(demo, content_type):
    name = unique_name("utf8-\u00e9")
    resp = demo.exchange(create_request(create_body(name), [("Content-Type", content_type)]))
    assert resp.status == 201, resp.raw
    assert resp.json()["widget"]["name"] == name
    assert name in widget_names(demo)
    demo.still_serving()


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json; charset=latin-1",
        "application/json; charset=utf-16",
        "application/json; charset=ascii",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ],
)
def test_other_charsets_and_media_types_are_415(demo, content_type):
    name = unique_name("charset")
    data = create_request(create_body(name), [("Content-Type", content_type)])
    assert_fault(demo.exchange(data), 415)
    assert name not in widget_names(demo)
    demo.still_serving()


def test_a_body_of_another_charset_is_415_even_when_it_is_valid_json(demo):
    name = unique_name("utf16")
    body = create_body(name).decode().encode("utf-16")
    data = create_request(body, [("Content-Type", "application/json; charset=utf-16")])
    assert_fault(demo.exchange(data), 415)
    assert name not in widget_names(demo)
    demo.still_serving()


def test_a_body_without_a_token_is_401_before_it_is_parsed(demo):
    assert_fault(demo.exchange(request("POST", COLLECTION, JSON, b"{not json")), 401)
    demo.still_serving()
