"""sizelimit: 413 overLimit for request bodies over ``max_request_body_size``.

A declared ``Content-Length`` over the limit is refused before the body is
read; a chunked body is counted while the app reads it, and the read that
would pass the limit raises ``HTTPRequestEntityTooLarge`` instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from stackapi.faults import BODY_LIMIT_KEY, fault_from_exception, fault_response, too_large
from stackapi.middleware import Middleware
from stackapi.options import Option, as_positive_int

DEFAULT_LIMIT = 114688  # 112 KiB, nova's and oslo.middleware's default


#: The limit in force for this request's chunked body, for the server: stackapi-server
#: refuses a chunk announcing more at once, instead of waiting for its bytes.
class LimitedInput:
    """A ``wsgi.input`` that refuses to deliver more than ``limit`` bytes in total.

    Reads ask the real input for at most one byte past what is left, so
    memory stays bounded even for ``read()`` without a size; a read that
    would pass the limit raises 413 instead of returning data.
    """

    def __init__(self, stream, limit: int) -> None:
        self.stream = stream
        self.limit = limit
        self.count = 0

    def _allowance(self, size: int | None) -> int:
        left = self.limit - self.count + 1
        return left if size is None or size < 0 else min(size, left)

    def _counted(self, data: bytes) -> bytes:
        self.count += len(data)
        if self.count > self.limit:
            raise too_large(self.limit)
        return data

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:  # all of it: read in bounded steps
            parts = []
            while True:
                data = self._counted(self.stream.read(self._allowance(None)))
                if not data:
                    return b"".join(parts)
                parts.append(data)
        return self._counted(self.stream.read(self._allowance(size)))

    def readline(self, size: int | None = -1) -> bytes:
        return self._counted(self.stream.readline(self._allowance(size)))

    def readlines(self, hint: int | None = -1) -> list[bytes]:
        lines = []
        total = 0
        for line in self:
            lines.append(line)
            total += len(line)
            if hint is not None and 0 < hint <= total:
                break
        return lines

    def __iter__(self) -> Iterator[bytes]:
        while True:
            line = self.readline()
            if not line:
                return
            yield line


class SizeLimitMiddleware(Middleware):
    """Refuse request bodies larger than ``max_request_body_size`` with 413 overLimit.

    ::

        [filter:sizelimit]
        use = egg:stackapi#sizelimit
        max_request_body_size = 114688

    A ``Content-Length`` over the limit is answered at once, without reading
    the body (so a client that sent ``Expect: 100-continue`` never gets its
    ``100 Continue``).  A chunked body is counted as the app reads it: the
    app never receives more than the limit; the read that would pass it
    raises ``webob.exc.HTTPRequestEntityTooLarge``, which ``Resource`` (and
    ``faultwrap``, for other apps) turn into the same JSON 413.  The limit
    is also left in ``environ[BODY_LIMIT_KEY]``: stackapi-server's body
    reader then answers 413 as soon as a chunk header announces more, rather
    than waiting for bytes a client may never send.  An invalid
    ``Content-Length`` is a 400.
    """

    fault_statuses = (413,)  # listed in the OpenAPI document of what it guards
    options = (
        Option(
            "max_request_body_size",
            as_positive_int,
            DEFAULT_LIMIT,
            "largest accepted request body, in bytes",
        ),
    )

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        length = environ.get("CONTENT_LENGTH")
        if length:
            try:
                declared = int(length)
            except ValueError:
                declared = -1
            if declared < 0:
                bad = fault_response(400, "The Content-Length header is not a valid length.")
                return bad(environ, start_response)
            if declared > self.max_request_body_size:
                return self.refuse(environ, start_response)
        elif "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            limit = self.max_request_body_size
            environ["wsgi.input"] = LimitedInput(environ["wsgi.input"], limit)
            environ[BODY_LIMIT_KEY] = min(limit, environ.get(BODY_LIMIT_KEY, limit))
        return self.next_app(environ, start_response)

    def refuse(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        """The 413 fault for a declared length over the limit."""
        return fault_from_exception(too_large(self.max_request_body_size))(environ, start_response)
