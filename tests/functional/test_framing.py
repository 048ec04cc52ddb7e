"""Request framing: where one request ends is never in doubt, and a bad one runs nothing after it.

A request whose length is ambiguous (Content-Length with Transfer-Encoding,
two lengths, a lenient chunk size ...) is refused with a 400 JSON fault and
the connection is closed, so the bytes after it -- here always a smuggled
``POST`` creating a server -- are never read as a request.
"""

import re

import pytest

from .conftest import (
    AUTH,
    COLLECTION,
    CREATED,
    JSON,
    LIMIT,
    assert_fault,
    create_body,
    create_request,
    created_id,
    server_names,
    unique_name,
)
from .rawhttp import chunk, chunked, request

pytestmark = pytest.mark.slow  # every case talks to a real stackapi-server


def post_head(headers: list[tuple[str, str]], version: str = "HTTP/1.1") -> bytes:
    """The head of an authenticated JSON ``POST`` to the collection, with ``headers``."""
    return request("POST", COLLECTION, AUTH + JSON + headers, version=version)


def assert_refused_and_nothing_smuggled(
    demo, data: bytes, status: int = 400, name: str | None = None
) -> None:
    """``data`` then a smuggled create: one fault, the connection closed, nothing created
    (neither the smuggled server nor ``name``, the one ``data`` itself would create)."""
    smuggled = unique_name("smuggled")
    with demo.connect() as conn:
        conn.send(data + create_request(create_body(smuggled)))
        refused = conn.read_response()
        assert_fault(refused, status)
        assert conn.closed_by_server(), "the connection must close after a framing error"
        assert conn.buffer == b"", f"a second response arrived: {conn.buffer[:500]!r}"
    demo.wait_log(re.escape(refused.header("x-openstack-request-id")))  # the log says why
    names = server_names(demo)
    assert smuggled not in names
    assert name is None or name not in names
    demo.still_serving()


# --- Content-Length and Transfer-Encoding ---------------------------------------------
def test_content_length_with_transfer_encoding(demo):
    name = unique_name("clte")
    body = chunked(create_body(name))
    head = post_head([("Content-Length", "5"), ("Transfer-Encoding", "chunked")])
    assert_refused_and_nothing_smuggled(demo, head + body, name=name)


@pytest.mark.parametrize("first_zero", [True, False], ids=["0-then-n", "n-then-0"])
def test_two_different_content_lengths(demo, first_zero):
    name = unique_name("twocl")
    body = create_body(name)
    lengths = ["0", str(len(body))] if first_zero else [str(len(body)), "0"]
    head = post_head([("Content-Length", n) for n in lengths])
    assert_refused_and_nothing_smuggled(demo, head + body, name=name)


@pytest.mark.parametrize(
    "value",
    ["-1", "", " ", "abc", "+{n}", "{n_}", "0x{n:x}", "{n}, {m}", "{n}.0", "1e3"],
    ids=[
        "negative",
        "blank",
        "space",
        "letters",
        "plus",
        "underscore",
        "hex",
        "list",
        "float",
        "exp",
    ],
)
def test_invalid_content_length(demo, value):
    # Each value stands for the real length where a lenient parser could read it so.
    name = unique_name("badcl")
    body = create_body(name)
    n = len(body)
    length = value.format(n=n, m=n + 1, n_=f"{n // 10}_{n % 10}")
    head = post_head([("Content-Length", length)])
    assert_refused_and_nothing_smuggled(demo, head + body, name=name)


@pytest.mark.parametrize(
    "codings",
    [["gzip"], ["chunked, gzip"], ["chunked", "chunked"], ["chunked, chunked"], ["xchunked"]],
    ids=["gzip", "chunked-not-last", "two-headers", "twice", "unknown"],
)
def test_transfer_encoding_whose_last_coding_is_not_one_chunked(demo, codings):
    name = unique_name("te")
    body = chunked(create_body(name))
    head = post_head([("Transfer-Encoding", c) for c in codings])
    assert_refused_and_nothing_smuggled(demo, head + body, name=name)


def test_transfer_encoding_in_an_http_1_0_request(demo):
    name = unique_name("te10")
    body = chunked(create_body(name))
    head = post_head([("Transfer-Encoding", "chunked")], version="HTTP/1.0")
    assert_refused_and_nothing_smuggled(demo, head + body, name=name)


def test_an_unknown_transfer_coding_before_chunked_is_501(demo):
    name = unique_name("gzipchunked")
    body = chunked(create_body(name))
    head = post_head([("Transfer-Encoding", "gzip, chunked")])
    assert_refused_and_nothing_smuggled(demo, head + body, status=501)


def test_obs_folded_framing_header(demo):
    name = unique_name("fold")
    body = create_body(name)
    head = post_head([("Content-Length", "")])
    head = head.replace(b"Content-Length: \r\n", b"Content-Length:\r\n %d\r\n" % len(body))
    assert_refused_and_nothing_smuggled(demo, head + body, name=name)


@pytest.mark.parametrize("coding", ["chunked", "Chunked", "CHUNKED"])
def test_chunked_in_any_case_is_accepted(demo, coding):
    name = unique_name("chunked")
    body = create_body(name)
    first = chunk(body[:10], "a;name=value")  # 10 bytes, and a chunk extension (ignored)
    data = post_head([("Transfer-Encoding", coding)]) + first + chunked(body[10:])
    created_id(demo.exchange(data))
    assert name in server_names(demo)
    demo.still_serving()


# --- chunk sizes -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "size",
    ["0x{n:x}", "+{n:x}", "{n_:}", " {n:x}", "-{n:x}", "{n:x}zz", "zz", "", "{short:x}"],
    ids=[
        "0x",
        "plus",
        "underscore",
        "leading-space",
        "negative",
        "junk",
        "not-hex",
        "empty",
        "shorter-than-its-data",
    ],
)
def test_malformed_chunk_size(demo, size):
    name = unique_name("chunksize")
    body = create_body(name)
    n = len(body)
    token = size.format(n=n, n_=f"{n // 16:x}_{n % 16:x}", short=n - 5)
    data = post_head([("Transfer-Encoding", "chunked")]) + chunk(body, token) + b"0\r\n\r\n"
    assert_refused_and_nothing_smuggled(demo, data, name=name)


def test_a_chunk_size_beyond_64_bits_is_refused_at_once(demo):
    data = post_head([("Transfer-Encoding", "chunked")]) + b"1" + b"0" * 16 + b"\r\n{"
    assert_refused_and_nothing_smuggled(demo, data)


def test_a_chunk_larger_than_the_size_limit_is_413_at_once(demo):
    data = post_head([("Transfer-Encoding", "chunked")]) + b"%x\r\n{" % (LIMIT * 4)
    assert_refused_and_nothing_smuggled(demo, data, status=413)


# --- truncated bodies ------------------------------------------------------------------
@pytest.mark.parametrize(
    "framing",
    ["inside a chunk", "before the last chunk", "short content-length"],
)
def test_a_truncated_body_is_400(demo, framing):
    name = unique_name("truncated")
    body = create_body(name)
    chunked_head = post_head([("Transfer-Encoding", "chunked")])
    data = {
        "inside a chunk": chunked_head + b"%x\r\n" % len(body) + body[:5],
        "before the last chunk": chunked_head + chunk(body),
        "short content-length": post_head([("Content-Length", str(len(body) + 10))]) + body,
    }[framing]
    with demo.connect() as conn:
        conn.send(data)
        conn.shutdown_write()  # the client is done: the body ends here
        assert_fault(conn.read_response(), 400)
        assert conn.closed_by_server()
    assert name not in server_names(demo)
    demo.still_serving()


def test_trailers_are_read_and_the_connection_goes_on(demo):
    name = unique_name("trailers")
    data = (
        post_head([("Transfer-Encoding", "chunked"), ("Trailer", "X-Checksum")])
        + chunk(create_body(name))
        + b"0\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n"
    )
    with demo.connect() as conn:
        conn.send(data + request("GET", COLLECTION, AUTH))
        assert conn.read_response().status == CREATED
        listed = conn.read_response()
        assert listed.status == 200
        assert name in [s["name"] for s in listed.json()["servers"]]
    demo.still_serving()


# --- Expect: 100-continue ---------------------------------------------------------------
def test_expect_100_continue_over_the_limit_is_413_before_any_body(demo):
    head = post_head([("Content-Length", str(LIMIT + 1)), ("Expect", "100-continue")])
    with demo.connect() as conn:
        conn.send(head)  # and never the body
        resp = conn.read_response()
        assert_fault(resp, 413)  # not "100 Continue"
        assert conn.closed_by_server()
    demo.still_serving()


def test_expect_100_continue_without_a_token_is_401_before_any_body(demo):
    head = request(
        "POST", COLLECTION, JSON + [("Content-Length", "40"), ("Expect", "100-continue")]
    )
    with demo.connect() as conn:
        conn.send(head)
        assert_fault(conn.read_response(), 401)
        assert conn.closed_by_server()
    demo.still_serving()


def test_expect_100_continue_then_the_body(demo):
    name = unique_name("continue")
    body = create_body(name)
    head = post_head([("Content-Length", str(len(body))), ("Expect", "100-continue")])
    with demo.connect() as conn:
        conn.send(head)
        interim = conn.read_response()
        assert interim.status == 100
        conn.send(body)
        assert conn.read_response().status == CREATED
    assert name in server_names(demo)
    demo.still_serving()


# --- header limits ----------------------------------------------------------------------
def test_a_header_line_under_max_header_line_is_accepted(demo):
    # The server's max_header_line defaults to 16384, above eventlet's own 8192.
    resp = demo.exchange(request("GET", COLLECTION, AUTH + [("X-Long", "v" * 12000)]))
    assert resp.status == 200, resp.raw
    demo.still_serving()


def test_a_header_line_over_max_header_line_is_400(demo):
    # 400 with the limit named, as max_header_line always answered (docs/deploying.md).
    with demo.connect() as conn:
        conn.send(request("GET", COLLECTION, AUTH + [("X-Long", "v" * 17000)]))
        fault = assert_fault(conn.read_response(), 400)
        assert fault["message"] == "A request header line is longer than 16384 bytes."
        assert conn.closed_by_server()
    demo.still_serving()


def test_headers_too_large_in_total_are_431(demo):
    headers = [(f"X-Big-{n}", "v" * 1000) for n in range(80)]
    with demo.connect() as conn:
        conn.send(request("GET", COLLECTION, AUTH + headers))
        assert_fault(conn.read_response(), 431)
        assert conn.closed_by_server()
    demo.still_serving()


def test_more_than_100_headers_is_431(demo):
    headers = [(f"X-H-{n}", "v") for n in range(120)]
    with demo.connect() as conn:
        conn.send(request("GET", COLLECTION, AUTH + headers))
        assert_fault(conn.read_response(), 431)
        assert conn.closed_by_server()
    demo.still_serving()


def test_90_headers_are_accepted(demo):
    headers = [(f"X-H-{n}", "v") for n in range(90)]
    assert demo.exchange(request("GET", COLLECTION, AUTH + headers)).status == 200
    demo.still_serving()


@pytest.mark.parametrize(
    "line",
    [b"GET\r\n", b"GET /v2.1/servers HTTP/1.1 extra\r\n", b"\x16\x03\x01\x02\x00\x01\x00\r\n"],
    ids=["one-word", "four-words", "tls-hello"],
)
def test_a_malformed_request_line_is_400(demo, line):
    with demo.connect() as conn:
        conn.send(line + b"Host: x\r\n\r\n")
        assert_fault(conn.read_response(), 400)
        assert conn.closed_by_server()
    demo.still_serving()


def test_http_2_request_line_is_505(demo):
    with demo.connect() as conn:
        conn.send(b"GET /v2.1/servers HTTP/2.0\r\nHost: x\r\n\r\n")
        assert_fault(conn.read_response(), 505)
        assert conn.closed_by_server()
    demo.still_serving()


MALFORMED_HEADER_LINES = {
    # http.server ended the head at a colon-less line and read the rest as the body.
    "no colon": b"NoColon",
    "space before the colon": b"X-Auth-Token : bob:other",
    "folded (obs-fold)": b"X-Note: a\r\n continued",
    "name not a token": b"X(Note): 1",
    "NUL in the value": b"X-Note: a\x00b",
    "bare CR in the value": b"X-Note: a\rb",
    "a second Host": b"Host: other.test",
}


@pytest.mark.parametrize(
    "line", MALFORMED_HEADER_LINES.values(), ids=MALFORMED_HEADER_LINES.keys()
)
def test_a_malformed_header_line_is_400(demo, line):
    data = request("GET", COLLECTION, AUTH).replace(b"\r\n\r\n", b"\r\n" + line + b"\r\n\r\n")
    with demo.connect() as conn:
        conn.send(data + request("GET", COLLECTION, AUTH))
        assert_fault(conn.read_response(), 400)
        assert conn.closed_by_server() and conn.buffer == b""
    demo.still_serving()


def test_an_empty_line_before_a_request_is_ignored(demo):
    # RFC 9112 2.2: some clients send a CRLF after a POST body.
    name = unique_name("crlf")
    with demo.connect() as conn:
        conn.send(create_request(create_body(name)) + b"\r\n" + request("GET", COLLECTION, AUTH))
        created_id(conn.read_response())
        assert conn.read_response().status == 200
    assert name in server_names(demo)
    demo.still_serving()


# --- header names with underscores ------------------------------------------------------
def test_an_underscore_header_is_not_the_dashed_one(misbehaving):
    token = [("X_Auth_Token", "admin")]
    assert_fault(misbehaving.exchange(request("GET", "/echo/", token)), 401)

    headers = [("X-Auth-Token", "alice:p1"), ("X_Auth_Token", "admin"), ("X_Roles", "admin")]
    resp = misbehaving.exchange(request("GET", "/echo/", headers))
    assert resp.status == 200, resp.raw
    context = resp.json()["context"]
    assert (context["user_id"], context["project_id"]) == ("alice", "p1")
    assert (context["roles"], context["is_admin"]) == ([], False)
    misbehaving.still_serving()


def test_an_underscore_framing_header_frames_nothing(demo):
    name = unique_name("underscore")
    data = post_head([("Content_Length", "30")]) + create_body(name)
    assert_refused_and_nothing_smuggled(demo, data, name=name)


# --- HTTP/1.0 and pipelining ------------------------------------------------------------
def test_http_1_0_gets_its_answer_and_a_close(demo):
    with demo.connect() as conn:
        conn.send(request("GET", COLLECTION, AUTH, version="HTTP/1.0"))
        resp = conn.read_response()
        assert resp.status == 200 and resp.version in ("HTTP/1.0", "HTTP/1.1")
        assert "servers" in resp.json()
        assert conn.closed_by_server()
    demo.still_serving()


def test_http_1_0_keep_alive_is_honoured(demo):
    data = request("GET", COLLECTION, AUTH + [("Connection", "keep-alive")], version="HTTP/1.0")
    with demo.connect() as conn:
        conn.send(data)
        assert conn.read_response().status == 200
        conn.send(data)
        assert conn.read_response().status == 200
    demo.still_serving()


def test_pipelined_requests_are_answered_in_order(demo):
    names = [unique_name("pipe") for _ in range(3)]
    data = (
        create_request(create_body(names[0]))
        + create_request(b'{"server": ')  # a bad one in the middle
        + request("GET", COLLECTION + "/nope", AUTH)
        + create_request(create_body(names[1]))
        + request("HEAD", COLLECTION, AUTH)
        + create_request(create_body(names[2]))
        + request("GET", COLLECTION, AUTH)
    )
    methods = ["POST", "POST", "GET", "POST", "HEAD", "POST", "GET"]
    with demo.connect() as conn:
        conn.send(data)
        responses = [conn.read_response(method) for method in methods]
    assert [r.status for r in responses] == [CREATED, 400, 404, CREATED, 200, CREATED, 200]
    listed = [s["name"] for s in responses[-1].json()["servers"]]
    assert [n for n in listed if n in names] == names[::-1]  # newest first
    ids = {r.header("x-openstack-request-id") for r in responses}
    assert len(ids) == len(responses)
    demo.still_serving()


def test_a_request_split_across_many_writes_is_one_request(demo):
    name = unique_name("split")
    data = create_request(create_body(name))
    with demo.connect() as conn:
        for start in range(0, len(data), 7):
            conn.send(data[start : start + 7])
        created_id(conn.read_response())
    assert name in server_names(demo)
    demo.still_serving()
