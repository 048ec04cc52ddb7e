"""JSON bodies the demo refuses: 400 badRequest (415 for other charsets), nothing created."""

import pytest

from .conftest import (
    COLLECTION,
    JSON,
    LIMIT,
    assert_fault,
    create_body,
    create_request,
    created_id,
    server_names,
    unique_name,
)
from .rawhttp import request

pytestmark = pytest.mark.slow  # every case talks to a real stackapi-server

DEPTH = 50_000  # levels of nesting: 100 kB of brackets, under the 112 KiB size limit

MALFORMED = {
    "truncated": b'{"server": {"name": "trunc',
    "array instead of object": b'[{"server": {"name": "a", "flavorRef": "1"}}]',
    "string instead of object": b'"server"',
    "number instead of object": b"42",
    "null": b"null",
    "invalid utf-8": b'{"server": {"name": "\xff\xfe", "flavorRef": "1"}}',
    "utf-8 surrogate bytes": b'{"server": {"name": "\xed\xa0\x80", "flavorRef": "1"}}',
    "NaN": b'{"server": {"name": "a", "flavorRef": NaN}}',
    "Infinity": b'{"server": {"name": "a", "flavorRef": Infinity}}',
    "-Infinity": b'{"server": {"name": "a", "flavorRef": -Infinity}}',
    "deeply nested arrays": b'{"server": ' + b"[" * DEPTH + b"]" * DEPTH + b"}",
    "deeply nested objects": b'{"a":' * 18_000 + b"1" + b"}" * 18_000,
    "duplicate keys": b'{"server": {"name": "a", "flavorRef": "1"}, "server": {"name": "b"}}',
    "duplicate inner keys": b'{"server": {"name": "a", "name": "b", "flavorRef": "1"}}',
    "huge integer": b'{"server": {"name": "a", "flavorRef": 1' + b"0" * 5000 + b"}}",
    "integer beyond 64 bits": b'{"server": {"name": "a", "flavorRef": 18446744073709551617}}',
    "float overflowing to inf": b'{"server": {"name": "a", "flavorRef": 1e999}}',
    "trailing garbage": b'{"server": {"name": "a", "flavorRef": "1"}} x',
    "two documents": b'{"server": {"name": "a", "flavorRef": "1"}}{"server": {"name": "b"}}',
    "single quotes": b"{'server': {'name': 'a', 'flavorRef': '1'}}",
    "comment": b'{"server": {"name": "a", "flavorRef": "1"} /* hi */}',
    "bom": b'\xef\xbb\xbf{"server": {"name": "a", "flavorRef": "1"}}',
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_json_is_400_and_creates_nothing(demo, body):
    before = server_names(demo)
    assert len(body) < LIMIT
    assert_fault(demo.exchange(create_request(body)), 400)
    assert server_names(demo) == before
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
    created_id(resp)
    assert name in server_names(demo)
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
    assert name not in server_names(demo)
    demo.still_serving()


def test_a_body_of_another_charset_is_415_even_when_it_is_valid_json(demo):
    name = unique_name("utf16")
    body = create_body(name).decode().encode("utf-16")
    data = create_request(body, [("Content-Type", "application/json; charset=utf-16")])
    assert_fault(demo.exchange(data), 415)
    assert name not in server_names(demo)
    demo.still_serving()


def test_a_body_without_a_token_is_401_before_it_is_parsed(demo):
    assert_fault(demo.exchange(request("POST", COLLECTION, JSON, b"{not json")), 401)
    demo.still_serving()
