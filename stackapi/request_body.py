"""RequestBody: a request's ``wsgi.input`` under stackapi-server, strict where the body ends.

An ``eventlet.wsgi.Input`` subclass made per request by :mod:`stackapi.protocol`
(its only importer); chunk sizes are parsed by :mod:`stackapi.framing`.
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import BinaryIO

import eventlet.greenio
import eventlet.wsgi
import webob.exc

from stackapi.faults import BODY_LIMIT_KEY, too_large
from stackapi.framing import MAX_HEADER_FIELDS, Refusal, chunk_size

#: A request body the app left unread is drained (keeping the connection) up to this
#: many bytes; with more left, the connection is closed instead.
DISCARD_LIMIT = 64 * 1024
_READ_STEP = 64 * 1024  # largest read of chunk data: never allocate what a client claims


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
        size = chunk_size(self._framing_line(rfile))
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
            line = self._framing_line(rfile)
            if line in (b"\r\n", b"\n"):
                return
            if not line.endswith(b"\n"):
                break  # longer than a header line may be
        raise Refusal(HTTPStatus.BAD_REQUEST, "The chunked body's trailer section is too large.")

    def _framing_line(self, rfile: BinaryIO) -> bytes:
        """A chunk-size or trailer line, cut after ``line_limit`` (+ CRLF + one byte to see
        it go on); the body ending inside it is a truncated body."""
        line = rfile.readline(self.line_limit + 3)
        if not line.endswith(b"\n") and len(line) < self.line_limit + 3:
            raise self._failed(_truncated())
        return line

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
