"""body: a request's ``wsgi.input`` under stackapi-server, and the errors a body can end in.

The bytes come from the connection (:meth:`Connection.pull_body`), which feeds
httptools exactly the body's framing and enforces ``client_body_timeout``;
this module only hands the app what arrived.  A body that breaks raises a
:class:`BodyError`, a ``webob.exc`` exception, so ``Resource`` and ``faultwrap``
answer it as a JSON fault, and the server answers it itself if a plain WSGI app
lets it escape.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator

import webob.exc


class BodyError(webob.exc.HTTPException):
    """The request body broke: the server's own 400, 408 or 413; the connection closes."""


class BodyMalformed(BodyError, webob.exc.HTTPBadRequest):
    pass


class BodyTimeout(BodyError, webob.exc.HTTPRequestTimeout):
    pass


class BodyTooLarge(BodyError, webob.exc.HTTPRequestEntityTooLarge):
    pass


class BodyState:
    """What has arrived of one request's body (written by the connection's parser callbacks)."""

    __slots__ = (
        "chunks",
        "buffered",
        "received",
        "complete",
        "error",
        "length_left",
        "chunk_left",
        "announced",
        "extra_bytes",
        "in_trailers",
        "wire",
    )

    def __init__(self, length: int | None, chunked: bool) -> None:
        self.chunks: deque[bytes] = deque()
        self.buffered = 0  # bytes in chunks, not read by the app yet
        self.received = 0  # data bytes delivered by the parser so far
        self.complete = not chunked and not length
        self.error: BodyError | None = None
        self.length_left = length or 0  # Content-Length bytes not yet fed to the parser
        self.chunk_left = 0  # chunk data bytes (+ its CRLF) not yet fed
        self.announced = 0  # sum of the chunk sizes seen
        self.extra_bytes = 0  # chunk extensions and trailers, bytes
        self.in_trailers = False
        self.wire = 0  # bytes of this body read from the client

    def add(self, data: bytes) -> None:
        self.chunks.append(data)
        self.buffered += len(data)
        self.received += len(data)


class RequestBody:
    """``wsgi.input`` of one request: reads what the connection pulls, never past the body.

    ``pull()`` (the connection's) adds the next piece to :attr:`state` or raises
    a :class:`BodyError`; ``read(-1)``/``read()`` read to the end of the body.
    """

    __slots__ = ("state", "pull")

    def __init__(self, state: BodyState, pull: Callable[[], None]) -> None:
        self.state = state
        self.pull = pull

    def _fill(self, wanted: int | None) -> None:
        """Pull until ``wanted`` bytes are buffered (None: the whole body) or the body ends."""
        state = self.state
        while not state.complete and (wanted is None or state.buffered < wanted):
            if state.error is not None:
                raise state.error
            self.pull()
        if state.error is not None and not state.buffered:
            raise state.error

    def read(self, size: int | None = -1) -> bytes:
        state = self.state
        if size is None or size < 0:
            self._fill(None)
            size = state.buffered
        elif size == 0:
            return b""
        elif state.buffered < size and not state.complete:
            self._fill(1)  # at least something: a short read is allowed
        return self._take(min(size, state.buffered))

    def _take(self, size: int) -> bytes:
        state = self.state
        chunks = state.chunks
        if not size:
            return b""
        first = chunks[0]
        if len(first) == size:  # the usual case: the whole body arrived in one piece
            chunks.popleft()
            state.buffered -= size
            return first
        parts = []
        left = size
        while left:
            piece = chunks.popleft()
            if len(piece) > left:
                chunks.appendleft(piece[left:])
                piece = piece[:left]
            parts.append(piece)
            left -= len(piece)
        state.buffered -= size
        return b"".join(parts)

    def readline(self, size: int | None = -1) -> bytes:
        state = self.state
        limit = None if size is None or size < 0 else size
        # Each piece is searched once, as it arrives (a body of 1-byte chunks is one piece
        # per chunk: joining them all after every pull would be quadratic).
        searched = scanned = 0  # pieces searched, none with a newline, and their bytes
        while True:
            chunks = state.chunks
            while searched < len(chunks):
                piece = chunks[searched]  # near the deque's right end: no walk
                end = piece.find(b"\n")
                if end >= 0 and (limit is None or scanned + end < limit):
                    return self._take(scanned + end + 1)
                scanned += len(piece)
                searched += 1
                if limit is not None and scanned >= limit:
                    return self._take(limit)
            if state.complete or state.error is not None:
                if state.error is not None and not state.buffered:
                    raise state.error
                return self._take(state.buffered)
            self.pull()

    def readlines(self, hint: int | None = None) -> list[bytes]:
        lines = []
        for line in iter(self.readline, b""):
            lines.append(line)
            if hint is not None and 0 < hint <= sum(map(len, lines)):
                break
        return lines

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")
