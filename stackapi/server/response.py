"""response: one response on the wire: ``start_response``, the head, the body's framing.

A body of known length (a list, as webob answers) goes out with the head in
one write; an unknown one is chunked (HTTP/1.1) or ends with the connection
(HTTP/1.0).  HEAD, 1xx, 204 and 304 answers never carry a body.  A client
that goes away stops the iteration at the first failed write.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from email.utils import formatdate
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from stackapi.faults import fault_body
from stackapi.request_ids import HEADER as REQUEST_ID_HEADER
from stackapi.request_ids import new_request_id

if TYPE_CHECKING:
    from stackapi.server.connection import Connection, Request

LOG = logging.getLogger("stackapi.server")
#: Headers the server writes itself (hop-by-hop, RFC 9110 7.6.1): an app's are dropped.
_SERVER_HEADERS = frozenset({"connection", "transfer-encoding", "keep-alive"})
_date = ["", 0]  # the Date header's value and the second it was made for


def http_date() -> str:
    now = int(time.time())
    if _date[1] != now:
        _date[0], _date[1] = formatdate(now, usegmt=True), now
    return _date[0]


class Response:
    """The response to one request: what the app started, and how much was sent."""

    __slots__ = (
        "conn",
        "req",
        "close",
        "status",
        "headers",
        "code",
        "head_sent",
        "chunked",
        "bodyless",
        "sent",
    )

    def __init__(self, conn: Connection, req: Request, close: bool) -> None:
        self.conn = conn
        self.req = req
        self.close = close
        self.status: str | None = None
        self.headers: list[tuple[str, str]] = []
        self.code = 0
        self.head_sent = False
        self.chunked = False
        self.bodyless = False
        self.sent = 0  # body bytes written

    def start_response(
        self, status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Any:
        if exc_info is not None:
            try:
                if self.head_sent:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.status is not None:
            raise AssertionError("start_response was called twice without exc_info")
        self.status, self.headers = status, headers
        return self.write

    def send_body(self, result: Iterable[bytes]) -> None:
        """Write the app's body; a list's length goes in Content-Length, in one write."""
        known = sum(map(len, result)) if isinstance(result, list | tuple) else None
        for data in result:
            if data:
                self.write(data, known)
                if self.conn.lost:
                    self._lost()
                    return
        self.finish(known)

    def write(self, data: bytes, known: int | None = None) -> None:
        """Body bytes (also the legacy ``write()`` callable that start_response returns)."""
        if type(data) is not bytes and not isinstance(data, bytes | bytearray | memoryview):
            # Before the head is marked sent: the server's 500 can still replace it.
            raise TypeError(f"a response body must be bytes, not {type(data).__name__}")
        if not self.head_sent:
            head = self._head(known)
            if self.bodyless:
                self.conn.send(head)
                return
            self.sent += len(data)
            self.conn.send(head + self._frame(data))
            return
        if self.bodyless or self.conn.lost:
            return
        self.sent += len(data)
        self.conn.send(self._frame(data))

    def finish(self, known: int | None = None) -> None:
        """The end of the body: the head if nothing was written, the last chunk."""
        if not self.head_sent:
            self.conn.send(self._head(0 if known is None else known))
        elif self.chunked and not self.conn.lost:
            self.conn.send(b"0\r\n\r\n")
        if self.conn.lost:
            self._lost()

    def _frame(self, data: bytes) -> bytes:
        return b"%x\r\n%s\r\n" % (len(data), data) if self.chunked else data

    def _head(self, known: int | None) -> bytes:
        """The status line and headers; decides the body's framing and the connection's end."""
        if self.status is None:
            raise AssertionError("the app returned a body without calling start_response")
        self.head_sent = True
        code = self.code = int(self.status[:3])
        req = self.req
        self.bodyless = req.method == "HEAD" or code < 200 or code in (204, 304)
        lines, has_length = self._app_headers()
        if not has_length and code >= 200 and code not in (204, 304):
            lines.append(self._framing(known))
        if (
            self.close
            or self.conn.registry.draining
            or (req.body is not None and self.conn.cannot_drain(req))
        ):
            self.close = True
            lines.append("Connection: close\r\n")
        elif req.version == "HTTP/1.0":
            lines.append("Connection: keep-alive\r\n")
        lines.append("\r\n")
        return "".join(lines).encode("latin-1")

    def _app_headers(self) -> tuple[list[str], bool]:
        """The status line and the app's headers (hop-by-hop ones dropped), a Date;
        and whether the app gave a Content-Length."""
        lines = [f"HTTP/1.1 {self.status}\r\n"]
        has_length = has_date = False
        for name, value in self.headers:
            lower = name.lower()
            if lower in _SERVER_HEADERS:
                if lower == "connection" and "close" in value.lower():
                    self.close = True
                continue
            if lower == "content-length":
                has_length = True
            elif lower == "date":
                has_date = True
            lines.append(f"{name}: {value}\r\n")
        if not has_date:
            lines.append(f"Date: {http_date()}\r\n")
        return lines, has_length

    def _framing(self, known: int | None) -> str:
        """How a body without Content-Length is framed: its known length, chunks, or the
        connection's end (HTTP/1.0)."""
        if self.req.method == "HEAD":
            return ""  # the GET's length is unknown here: better none than a wrong one
        if known is not None:
            return f"Content-Length: {known}\r\n"
        if self.req.version == "HTTP/1.1":
            self.chunked = True
            return "Transfer-Encoding: chunked\r\n"
        self.close = True
        return ""

    def fail(self, status: int, message: str, request_id: str | None = None) -> None:
        """The server's own fault instead of the app's answer; if the app's head has gone
        out already, the connection is cut (the client sees a truncated response)."""
        self.close = True
        if self.head_sent:
            self.conn.lost = True
            return
        self.code = status
        self.conn.send(self.fault_bytes(status, message, request_id or new_request_id()))

    @staticmethod
    def fault_bytes(status: int, message: str, request_id: str) -> bytes:
        """A complete JSON fault response that closes the connection."""
        body = fault_body(status, message)
        head = (
            f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n"
            f"{REQUEST_ID_HEADER}: {request_id}\r\n"
            f"Date: {http_date()}\r\n"
            "Connection: close\r\n\r\n"
        )
        return head.encode("latin-1") + body

    def _lost(self) -> None:
        conn = self.conn
        body = self.req.body
        if conn.lost_logged or (body is not None and body.error is not None):
            return  # once; a broken body's own line says the client went away
        conn.lost_logged = True
        LOG.info(
            "client %s went away before the response to %r was sent: %s",
            conn.client,
            self.req.line,
            conn.lost_reason,
        )
