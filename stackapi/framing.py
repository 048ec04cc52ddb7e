"""Framing: where a request's head and body end, read strictly (RFC 9112), for stackapi.protocol.

The head is parsed here instead of by ``http.server`` (lenient: obs-fold, ``+25``
lengths, a colon-less line silently ends the headers) so that only requests whose
end is unambiguous reach eventlet.  Imported only by :mod:`stackapi.protocol`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from http import HTTPStatus
from http.client import HTTPMessage
from typing import BinaryIO

import eventlet.greenio
import eventlet.wsgi
import webob.exc

from stackapi.filters.sizelimit import BODY_LIMIT_KEY, too_large

#: Header fields a request may have (http.client's own cap).
MAX_HEADER_FIELDS = 100
#: A request body the app left unread is drained (keeping the connection) up to this
#: many bytes; with more left, the connection is closed instead.
DISCARD_LIMIT = 64 * 1024
_READ_STEP = 64 * 1024  # largest read of chunk data: never allocate what a client claims
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


class RequestBody(eventlet.wsgi.Input):
    """``wsgi.input`` of one request: eventlet's ``Input``, strict where the body ends.

    - A chunk size is 1 to 16 hex digits (no ``0x``, sign, ``_`` or spaces),
      each chunk's data ends with CRLF, trailers are bounded: otherwise 400.
    - When a filter published its limit (``environ[BODY_LIMIT_KEY]``, see
      the sizelimit filter), a chunk announcing more than the limit is a 413
      at once, before its bytes are awaited.
    - A body that ends early (EOF) is a 400; a read that times out, a 408;
      a connection reset, a 400 nobody will read (the client is gone).

    Errors are raised as ``webob.exc`` exceptions, which ``Resource`` and
    ``faultwrap`` answer as JSON faults, and reported once to ``on_error(exc,
    gone)``: the protocol then closes the connection after the response, so
    bytes after a broken body are never read as a request.  ``read(-1)``
    reads to the end of the body, never past it.
    """

    def __init__(
        self,
        original: eventlet.wsgi.Input,
        environ: dict,
        on_error: Callable[[webob.exc.HTTPException | None, bool], None],
        line_limit: int,
    ) -> None:
        super().__init__(
            original.rfile,
            original.content_length,
            original.get_socket(),
            wfile=original.wfile,
            wfile_line=original.wfile_line,
            chunked_input=original.chunked_input,
        )
        self.environ = environ
        self.on_error = on_error
        self.line_limit = line_limit
        self.error: webob.exc.HTTPException | None = None
        self.chunk_left = 0  # data bytes of the current chunk not read yet
        self.after_chunk = False  # a chunk's data was read: its CRLF comes next
        self.announced = 0  # sum of the chunk sizes read so far
        self.ended = False  # the last chunk and the trailers were read

    @property
    def complete(self) -> bool:
        """The whole body was read: the next bytes on the connection are the next request."""
        if self.chunked_input:
            return self.ended
        return self.position >= (self.content_length or 0)

    def _do_read(self, reader: Callable[[int], bytes], length: int | None = None) -> bytes:
        if self.error is not None:
            raise self.error
        if length is not None and length < 0:
            length = None  # eventlet would pass -1 on and read past the body
        try:
            data = super()._do_read(reader, length)
        except OSError as exc:
            raise self._failed(*_read_error(exc)) from None
        if not data and length != 0 and not self.complete:
            raise self._failed(
                webob.exc.HTTPBadRequest(
                    explanation=f"The request body ended after {self.position} of "
                    f"{self.content_length} bytes."
                )
            )
        return data

    def readlines(self, hint: int | None = None) -> list[bytes]:
        # eventlet hands a Content-Length body's readlines() to the socket file: past the body.
        lines = []
        for line in iter(self.readline, b""):
            lines.append(line)
            if hint is not None and 0 < hint <= sum(map(len, lines)):
                break
        return lines

    def _chunked_read(
        self, rfile: BinaryIO, length: int | None = None, use_readline: bool = False
    ) -> bytes:
        if self.error is not None:
            raise self.error
        if self.should_send_hundred_continue:
            self.send_hundred_continue_response()
            self.is_hundred_continue_response_sent = True
        try:
            return self._read_chunks(rfile, length, use_readline)
        except eventlet.greenio.SSL.ZeroReturnError:
            raise self._failed(_truncated()) from None
        except OSError as exc:
            raise self._failed(*_read_error(exc)) from None
        except Refusal as exc:
            raise self._failed(webob.exc.HTTPBadRequest(explanation=exc.message)) from None

    def _read_chunks(self, rfile: BinaryIO, length: int | None, use_readline: bool) -> bytes:
        if length is not None and length < 0:
            length = None
        reader = rfile.readline if use_readline else rfile.read
        parts = []
        while not self.ended and (length is None or length > 0):
            if not self.chunk_left:
                self._next_chunk(rfile)
                continue
            want = min(self.chunk_left, _READ_STEP if length is None else length)
            data = reader(want)
            if not data:
                raise self._failed(_truncated())
            parts.append(data)
            self.chunk_left -= len(data)
            self.position += len(data)
            if length is not None:
                length -= len(data)
            if use_readline and data.endswith(b"\n"):
                break
        return b"".join(parts)

    def _next_chunk(self, rfile: BinaryIO) -> None:
        """Read the CRLF ending the previous chunk and the next size line (and trailers)."""
        if self.after_chunk:
            end = rfile.readline(3)
            if end not in (b"\r\n", b"\n"):
                if end.endswith(b"\n") or len(end) == 3:
                    raise Refusal(HTTPStatus.BAD_REQUEST, "A chunk is longer than its size.")
                raise self._failed(_truncated())
        line = rfile.readline(self.line_limit + 3)
        if not line.endswith(b"\n") and len(line) < self.line_limit + 3:
            raise self._failed(_truncated())
        match = _CHUNK_SIZE_LINE.match(line)
        if match is None:
            raise Refusal(HTTPStatus.BAD_REQUEST, "A chunk size is not 1 to 16 hex digits.")
        size = int(match.group(1), 16)
        self.announced += size
        limit = self.environ.get(BODY_LIMIT_KEY)
        if limit is not None and self.announced > limit:
            raise self._failed(too_large(limit))
        if size:
            self.chunk_left, self.after_chunk = size, True
        else:
            self._read_trailers(rfile)
            self.ended = True

    def _read_trailers(self, rfile: BinaryIO) -> None:
        for _ in range(MAX_HEADER_FIELDS + 1):
            line = rfile.readline(self.line_limit + 3)
            if line in (b"\r\n", b"\n"):
                return
            if not line.endswith(b"\n"):
                if len(line) < self.line_limit + 3:
                    raise self._failed(_truncated())
                break
        raise Refusal(HTTPStatus.BAD_REQUEST, "The chunked body's trailer section is too large.")

    def _failed(self, exc: webob.exc.HTTPException, gone: bool = False) -> webob.exc.HTTPException:
        """Remember and report the body's error once (later reads raise it again)."""
        if self.error is None:
            self.error = exc
            self.on_error(exc, gone)
        return self.error

    def discard(self, buffer_size: int = 16 << 10) -> None:
        """Drain what the app left unread, up to DISCARD_LIMIT; beyond it, close instead."""
        budget = DISCARD_LIMIT
        try:
            while budget > 0 and not self.complete:
                data = self.read(min(buffer_size, budget))
                if not data:
                    break
                budget -= len(data)
        except webob.exc.HTTPException:
            return  # reported by _failed: the connection closes
        if not self.complete:
            self.on_error(None, False)


def _truncated() -> webob.exc.HTTPException:
    return webob.exc.HTTPBadRequest(explanation="The chunked request body ended early.")


def _read_error(exc: OSError) -> tuple[webob.exc.HTTPException, bool]:
    """The fault for a failed body read, and whether the client is gone."""
    if isinstance(exc, TimeoutError):
        stalled = webob.exc.HTTPRequestTimeout(explanation="The request body stopped arriving.")
        return stalled, False
    reason = exc.strerror or type(exc).__name__
    lost = webob.exc.HTTPBadRequest(explanation=f"The request body could not be read: {reason}.")
    return lost, True
