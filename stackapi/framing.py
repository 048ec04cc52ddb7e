"""Framing: where a request's head and body end, read strictly (RFC 9112).

``stackapi.protocol`` parses heads here instead of with ``http.server`` (lenient:
obs-fold, ``+25`` lengths, a colon-less line silently ends the headers), so that
only requests whose end is unambiguous reach eventlet.  Plain functions on bytes:
no eventlet, no sockets (``stackapi.request_body`` reads bodies with them).
"""

from __future__ import annotations

import re
from http import HTTPStatus
from http.client import HTTPMessage
from typing import BinaryIO

#: Header fields a request may have (http.client's own cap).
MAX_HEADER_FIELDS = 100
_MAX_LENGTH_DIGITS = 18  # a Content-Length beyond 10**18 is not a length

_TOKEN = b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
#: Field values: tab, visible ASCII and obs-text.  Never NUL, CR, LF or other controls.
_FIELD_VALUE = bytes([9, *range(0x20, 0x7F), *range(0x80, 0x100)])
#: A request target: no spaces, no controls (non-ASCII bytes are the Guard's to judge).
_TARGET = bytes([*range(0x21, 0x7F), *range(0x80, 0x100)])
_HTTP_VERSION = re.compile(rb"HTTP/(\d)\.(\d)\Z")
# 1*16HEXDIG, then chunk extensions (";name=value", kept out of the size).
_CHUNK_SIZE_LINE = re.compile(rb"([0-9A-Fa-f]{1,16})(?:[ \t]*;[\t\x20-\x7e\x80-\xff]*)?\r?\n\Z")
_FRAMING = ("content-length", "transfer-encoding")


class Refusal(Exception):
    """A request the server answers itself, before any app: status and the fault's message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _is_token(data: bytes) -> bool:
    return bool(data) and not data.translate(None, _TOKEN)


def _content(line: bytes) -> bytes:
    """A line (ending with LF) without its CRLF or bare LF (RFC 9112 2.2 allows LF alone)."""
    content = line[:-2] if line.endswith(b"\r\n") else line[:-1]
    if b"\r" in content:
        raise Refusal(HTTPStatus.BAD_REQUEST, "The request contains a bare CR.")
    return content


def parse_request_line(line: bytes) -> tuple[str, str, str]:
    """``(method, target, version)`` of a request line ending with LF, or :class:`Refusal`.

    ``HTTP/1.x`` versions above 1.1 are read as HTTP/1.1; 2.0 and above get 505.
    """
    parts = _content(line).split(b" ")
    if len(parts) != 3:
        raise Refusal(HTTPStatus.BAD_REQUEST, "The request line is not 'METHOD target HTTP/1.1'.")
    method, target, version = parts
    if not _is_token(method):
        raise Refusal(HTTPStatus.BAD_REQUEST, "The request method is not a token.")
    if not target or target.translate(None, _TARGET):
        raise Refusal(HTTPStatus.BAD_REQUEST, "The request target contains control characters.")
    if version not in (b"HTTP/1.1", b"HTTP/1.0"):
        match = _HTTP_VERSION.match(version)
        if match is None:
            raise Refusal(HTTPStatus.BAD_REQUEST, "The request line has no valid HTTP version.")
        if match.group(1) != b"1":
            raise Refusal(
                HTTPStatus.HTTP_VERSION_NOT_SUPPORTED,
                f"HTTP/{match.group(1).decode()}.{match.group(2).decode()} is not supported: "
                "this server speaks HTTP/1.1.",
            )
        version = b"HTTP/1.1"
    return method.decode("ascii"), target.decode("latin-1"), version.decode("ascii")


def read_fields(
    fp: BinaryIO, line_limit: int, total_limit: int, max_fields: int = MAX_HEADER_FIELDS
) -> list[tuple[str, str]] | None:
    """The header fields up to the empty line, as latin-1 text; None if the client closed.

    A line longer than ``line_limit`` (CRLF not counted) is a 400, as
    ``max_header_line`` always was; more than ``total_limit`` bytes or
    ``max_fields`` fields is a 431.  Folded lines, lines without a colon,
    whitespace before the colon, names that are not tokens and control
    characters in values are 400s: each is a way to read one head as two.
    """
    fields: list[tuple[str, str]] = []
    total = 0
    while True:
        line = fp.readline(line_limit + 3)  # CRLF, and one byte more to see the line go on
        total += len(line)
        if not line.endswith(b"\n"):
            if len(line) < line_limit + 3:
                return None  # EOF: the client closed in the middle of its head
            raise Refusal(
                HTTPStatus.BAD_REQUEST, f"A request header line is longer than {line_limit} bytes."
            )
        content = _content(line)
        if len(content) > line_limit:
            raise Refusal(
                HTTPStatus.BAD_REQUEST, f"A request header line is longer than {line_limit} bytes."
            )
        if total > total_limit:
            raise Refusal(
                HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                f"The request headers are larger than {total_limit} bytes in total.",
            )
        if not content:
            return fields
        fields.append(_field(content, len(fields) + 1))
        if len(fields) > max_fields:
            raise Refusal(
                HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                f"The request has more than {max_fields} header fields.",
            )


def _field(content: bytes, number: int) -> tuple[str, str]:
    if content[:1] in (b" ", b"\t"):
        raise Refusal(
            HTTPStatus.BAD_REQUEST, "Folded header lines (obs-fold) are not accepted (RFC 9112)."
        )
    name, colon, value = content.partition(b":")
    if not colon or not _is_token(name):
        raise Refusal(HTTPStatus.BAD_REQUEST, f"Header line {number} is not 'Name: value'.")
    value = value.strip(b" \t")
    if value.translate(None, _FIELD_VALUE):
        raise Refusal(
            HTTPStatus.BAD_REQUEST, f"Header line {number} has control characters in its value."
        )
    return name.decode("ascii"), value.decode("latin-1")


def check_framing(version: str, fields: list[tuple[str, str]]) -> None:
    """Refuse a head whose body length two parsers could read differently (RFC 9112 6).

    Accepted: no framing header, exactly one ``Content-Length`` of 1*DIGIT,
    or (HTTP/1.1 only) exactly one ``Transfer-Encoding: chunked`` -- the
    forms eventlet reads the one way a strict proxy reads them.
    """
    lengths: list[str] = []
    codings: list[str] = []
    hosts = 0
    for name, value in fields:
        lower = name.lower()
        if lower == "content-length":
            lengths.append(value)
        elif lower == "transfer-encoding":
            codings.append(value)
        elif lower == "host":
            hosts += 1
        elif "_" in lower and lower.replace("_", "-") in _FRAMING:
            # eventlet ignores it, a proxy that maps "_" to "-" would frame by it.
            raise Refusal(HTTPStatus.BAD_REQUEST, f"The header {name} is not accepted.")
    if hosts > 1:
        raise Refusal(HTTPStatus.BAD_REQUEST, "The request has more than one Host header.")
    if codings:
        _check_transfer_encoding(version, codings, lengths)
    elif len(lengths) > 1:
        raise Refusal(
            HTTPStatus.BAD_REQUEST, "The request has more than one Content-Length header."
        )
    elif lengths and not _is_length(lengths[0]):
        raise Refusal(HTTPStatus.BAD_REQUEST, "The Content-Length header is not a valid length.")


def _is_length(value: str) -> bool:
    # str.isdigit() alone accepts other scripts' digits; int() accepts "+1", "1_0", " 1".
    return value.isascii() and value.isdigit() and len(value) <= _MAX_LENGTH_DIGITS


def _check_transfer_encoding(version: str, codings: list[str], lengths: list[str]) -> None:
    if version == "HTTP/1.0":
        raise Refusal(
            HTTPStatus.BAD_REQUEST, "Transfer-Encoding is not allowed in an HTTP/1.0 request."
        )
    if lengths:
        raise Refusal(
            HTTPStatus.BAD_REQUEST,
            "Content-Length and Transfer-Encoding are not allowed together.",
        )
    items = [item.strip(" \t").lower() for value in codings for item in value.split(",")]
    if len(codings) == 1 and items == ["chunked"]:
        return
    if items[-1] == "chunked" and items.count("chunked") == 1 and all(items):
        raise Refusal(
            HTTPStatus.NOT_IMPLEMENTED,
            "Transfer codings other than chunked are not implemented: send the body chunked only.",
        )
    raise Refusal(
        HTTPStatus.BAD_REQUEST, "Transfer-Encoding must be 'chunked' alone, in one header."
    )


def header_message(fields: list[tuple[str, str]]) -> HTTPMessage:
    """The fields as the ``http.client.HTTPMessage`` eventlet reads ``self.headers`` from."""
    message = HTTPMessage()
    for name, value in fields:
        message[name] = value  # appends: repeated fields stay repeated
    return message


def wants_close(version: str, fields: list[tuple[str, str]]) -> bool:
    """Whether the client asked for the connection to close after this request."""
    tokens = {
        token.strip(" \t").lower()
        for name, value in fields
        if name.lower() == "connection"
        for token in value.split(",")
    }
    if "close" in tokens:
        return True
    return version == "HTTP/1.0" and "keep-alive" not in tokens


def chunk_size(line: bytes) -> int:
    """The size of a chunk-size line (ending with LF): 1 to 16 hex digits, extensions ignored."""
    match = _CHUNK_SIZE_LINE.match(line)
    if match is None:
        raise Refusal(HTTPStatus.BAD_REQUEST, "A chunk size is not 1 to 16 hex digits.")
    return int(match.group(1), 16)
