"""stackapi.framing: request lines, header fields, framing checks, chunk sizes.

The same cases reach a real server in tests/functional/test_framing.py; here each
rule is pinned down alone, with the message a client reads.
"""

import io

import pytest

from stackapi.framing import (
    Refusal,
    check_framing,
    chunk_size,
    header_message,
    parse_request_line,
    read_fields,
    wants_close,
)


def refusal(call, *args) -> tuple[int, str]:
    with pytest.raises(Refusal) as caught:
        call(*args)
    return int(caught.value.status), caught.value.message


# --- request line ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("line", "parsed"),
    [
        (b"GET /v2.1/servers HTTP/1.1\r\n", ("GET", "/v2.1/servers", "HTTP/1.1")),
        (b"POST /x?a=%ff HTTP/1.0\n", ("POST", "/x?a=%ff", "HTTP/1.0")),
        (b"GET /caf\xc3\xa9 HTTP/1.1\r\n", ("GET", "/caf\xc3\xa9", "HTTP/1.1")),  # the guard's
        (b"GET / HTTP/1.2\r\n", ("GET", "/", "HTTP/1.1")),
    ],
)
def test_request_lines_accepted(line, parsed):
    assert parse_request_line(line) == parsed


@pytest.mark.parametrize(
    ("line", "status"),
    [
        (b"GET\r\n", 400),
        (b"GET /\r\n", 400),  # HTTP/0.9
        (b"GET / HTTP/1.1 x\r\n", 400),
        (b"GET  / HTTP/1.1\r\n", 400),
        (b"G(T / HTTP/1.1\r\n", 400),
        (b"GET /a\x00b HTTP/1.1\r\n", 400),
        (b"GET /a\rb HTTP/1.1\r\n", 400),
        (b"GET / http/1.1\r\n", 400),
        (b"\x16\x03\x01\x02\x00\x01\x00\r\n", 400),
        (b"GET / HTTP/2.0\r\n", 505),
        (b"PRI * HTTP/2.0\r\n", 505),
    ],
)
def test_request_lines_refused(line, status):
    assert refusal(parse_request_line, line)[0] == status


# --- header fields -----------------------------------------------------------------------
def fields_of(raw: bytes, line_limit: int = 100, total: int = 1000, count: int = 20):
    return read_fields(io.BytesIO(raw), line_limit, total, count)


def test_fields_are_read_up_to_the_empty_line():
    raw = b"Host: a\r\nX-Empty:\r\nX-Pad:  v \t\r\nx-lower: 1\n\r\nBODY"
    assert fields_of(raw) == [("Host", "a"), ("X-Empty", ""), ("X-Pad", "v"), ("x-lower", "1")]


def test_a_client_closing_mid_head_is_none():
    assert fields_of(b"Host: a\r\nX-Au") is None


@pytest.mark.parametrize(
    ("raw", "status", "message"),
    [
        (b"NoColon\r\n\r\n", 400, "Header line 1 is not 'Name: value'."),
        (b"Host: a\r\nX-A : 1\r\n\r\n", 400, "Header line 2 is not 'Name: value'."),
        (b"X-(A): 1\r\n\r\n", 400, "Header line 1 is not 'Name: value'."),
        (b"X-A: 1\r\n folded\r\n\r\n", 400, "Folded header lines (obs-fold) are not accepted"),
        (b"X-A: a\x00b\r\n\r\n", 400, "Header line 1 has control characters in its value."),
        (b"X-A: a\rb\r\n\r\n", 400, "The request contains a bare CR."),
        (b"X-A: " + b"v" * 96 + b"\r\n\r\n", 400, "longer than 100 bytes."),
        (b"X-A: " + b"v" * 200, 400, "longer than 100 bytes."),
        ((b"X-A: " + b"v" * 90 + b"\r\n") * 11, 431, "larger than 1000 bytes in total."),
        (b"X: 1\r\n" * 21 + b"\r\n", 431, "more than 20 header fields."),
    ],
)
def test_fields_refused(raw, status, message):
    got_status, got_message = refusal(fields_of, raw)
    assert got_status == status and message in got_message


def test_a_line_of_exactly_the_limit_is_accepted():
    line = b"X-A: " + b"v" * 95  # 100 bytes without its CRLF
    assert fields_of(line + b"\r\n\r\n") == [("X-A", "v" * 95)]


def test_the_message_keeps_repeated_fields():
    message = header_message([("Accept", "a"), ("Accept", "b"), ("Content-Type", "x")])
    assert message.get_all("accept") == ["a", "b"]
    assert message.get("content-type") == "x"


# --- framing -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "fields",
    [
        [],
        [("Content-Length", "0")],
        [("content-length", "123456789012345678")],
        [("Transfer-Encoding", "chunked")],
        [("Transfer-Encoding", "Chunked")],
        [("X_Other", "1"), ("Host", "a")],
    ],
)
def test_unambiguous_framing_is_accepted(fields):
    check_framing("HTTP/1.1", fields)


@pytest.mark.parametrize(
    ("version", "fields", "status"),
    [
        ("HTTP/1.1", [("Content-Length", "1"), ("Content-Length", "1")], 400),
        ("HTTP/1.1", [("Content-Length", "1"), ("Content-Length", "2")], 400),
        *[
            ("HTTP/1.1", [("Content-Length", v)], 400)
            for v in ["", "-1", "+1", "1_0", "0x1", "1, 1", "1.0", "1e3", "\u0661", "1" * 19]
        ],
        ("HTTP/1.1", [("Content-Length", "1"), ("Transfer-Encoding", "chunked")], 400),
        ("HTTP/1.0", [("Transfer-Encoding", "chunked")], 400),
        ("HTTP/1.1", [("Transfer-Encoding", "gzip")], 400),
        ("HTTP/1.1", [("Transfer-Encoding", "chunked, chunked")], 400),
        ("HTTP/1.1", [("Transfer-Encoding", "chunked"), ("Transfer-Encoding", "chunked")], 400),
        ("HTTP/1.1", [("Transfer-Encoding", ", chunked")], 400),
        ("HTTP/1.1", [("Transfer-Encoding", "gzip, chunked")], 501),
        ("HTTP/1.1", [("Transfer-Encoding", "gzip"), ("Transfer-Encoding", "chunked")], 501),
        ("HTTP/1.1", [("Content_Length", "5")], 400),
        ("HTTP/1.1", [("transfer_encoding", "chunked")], 400),
        ("HTTP/1.1", [("Host", "a"), ("host", "b")], 400),
    ],
)
def test_ambiguous_framing_is_refused(version, fields, status):
    assert refusal(check_framing, version, fields)[0] == status


# --- chunk sizes -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("line", "size"),
    [
        (b"0\r\n", 0),
        (b"1f\r\n", 31),
        (b"A;ext=1\r\n", 10),
        (b"a ;x\n", 10),
        (b"f" * 16 + b"\r\n", 2**64 - 1),
    ],
)
def test_chunk_sizes_accepted(line, size):
    assert chunk_size(line) == size


@pytest.mark.parametrize(
    "line",
    [
        b"0x1f\r\n",
        b"+1f\r\n",
        b"-1f\r\n",
        b"1_f\r\n",
        b" 1f\r\n",
        b"1f x\r\n",
        b"\r\n",
        b"1f",
        b"1" * 17 + b"\r\n",
        b"1;\x00\r\n",
    ],
)
def test_chunk_sizes_refused(line):
    assert refusal(chunk_size, line) == (400, "A chunk size is not 1 to 16 hex digits.")


@pytest.mark.parametrize(
    ("version", "connection", "close"),
    [
        ("HTTP/1.1", None, False),
        ("HTTP/1.1", "close", True),
        ("HTTP/1.1", "TE, Close", True),
        ("HTTP/1.0", None, True),
        ("HTTP/1.0", "keep-alive", False),
    ],
)
def test_wants_close(version, connection, close):
    fields = [("Connection", connection)] if connection else []
    assert wants_close(version, fields) is close
