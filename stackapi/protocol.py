"""Protocol: eventlet's HTTP/1.1 connection handler with this server instance's limits.

Imported only by :mod:`stackapi.server`.  Limits live on a subclass made per
server (:func:`protocol_class`); eventlet's module globals are never changed.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any, BinaryIO

import eventlet.greenio
import eventlet.wsgi

from stackapi.faults import fault_body
from stackapi.filters.request_id import HEADER as REQUEST_ID_HEADER
from stackapi.filters.request_id import new_request_id

LOG = logging.getLogger("stackapi.server")
#: A connection whose first request line has not arrived (eventlet knows idle,
#: request and close; a new connection is none of them).
STATE_NEW = "new"
_LINGER_SECONDS = 1.0  # per read, after a refusal
_LINGER_READS = 16  # x 64 KiB: what a refused client may still send before we close


class HeaderLineTooLong(Exception):
    """A request header line is longer than ``max_header_line``."""


class HeaderLines:
    """The request's file object while its headers are read, with a per-server line limit.

    Stands in for eventlet's ``FileObjectForHeaders``, whose limit is a module
    global.  A line may be ``limit`` bytes long, not counting its CRLF.
    """

    def __init__(self, fp: BinaryIO, limit: int, total_limit: int) -> None:
        self.fp = fp
        self.limit = limit
        self.remaining = total_limit

    def readline(self, size: int = -1) -> bytes:
        # Two bytes for CRLF and one more to see that the line goes on.
        line = self.fp.readline(self.limit + 3)
        if len(line.rstrip(b"\r\n")) > self.limit:
            raise HeaderLineTooLong(f"A request header line is longer than {self.limit} bytes.")
        self.remaining -= len(line)
        if self.remaining < 0:
            raise HeaderLineTooLong("The request headers are too large.")
        return line


class ClientWriter:
    """The connection's write side: a client that went away is reported once, not raised.

    eventlet logs any error raised while it writes a response as a traceback.
    A client closing its connection (or not reading until the socket timeout)
    is not an error of the server: ``on_lost`` is called once with the
    exception, and later writes are dropped.
    """

    def __init__(self, raw: BinaryIO, on_lost: Callable[[OSError], None]) -> None:
        self.raw = raw
        self.lost = False
        self._on_lost = on_lost

    def write(self, data: bytes) -> int:
        self._guard(self.raw.write, data)
        return len(data)

    def writelines(self, lines: Iterable[bytes]) -> None:
        self._guard(self.raw.writelines, lines)

    def flush(self) -> None:
        self._guard(self.raw.flush)

    def close(self) -> None:
        try:
            self.raw.close()
        except OSError:
            pass  # its buffer could not be flushed: the client is gone, already reported

    @property
    def closed(self) -> bool:
        return self.raw.closed

    def _guard(self, operation: Callable[..., Any], *args: Any) -> None:
        if self.lost:
            return
        try:
            operation(*args)
        except OSError as exc:
            self.lost = True
            self._on_lost(exc)


class Protocol(eventlet.wsgi.HttpProtocol):
    """eventlet's ``HttpProtocol`` with the limits and manners of one stackapi server.

    :func:`protocol_class` makes a subclass per server whose class attributes
    are that server's settings.  On top of eventlet's handler:

    - ``max_header_line`` (400) and ``max_url_length`` (414) are this server's,
      refused with a JSON fault before the app is called;
    - while the server drains (``is_draining()`` true) every response says
      ``Connection: close`` and the connection closes after it;
    - a client that disconnects, stalls past the socket timeout or fails the
      TLS handshake is one INFO line, never a traceback.

    Request checks go in :meth:`check_request`; a subclass adding checks
    calls ``super().check_request()`` first.
    """

    max_header_line = 16384
    max_url_length = 8192
    max_total_header_size = eventlet.wsgi.MAX_TOTAL_HEADER_SIZE  # read, never written
    #: This server's open connections (a set per :func:`protocol_class`).
    live: set[Protocol] = set()
    _close_connection: Any = True

    @staticmethod
    def is_draining() -> bool:
        return False

    # eventlet and http.server read and write ``close_connection`` everywhere;
    # while draining it reads true, so eventlet writes ``Connection: close``.
    @property
    def close_connection(self) -> Any:
        return self._close_connection or self.is_draining()

    @close_connection.setter
    def close_connection(self, value: Any) -> None:
        self._close_connection = value

    def setup(self) -> None:
        super().setup()
        self.wfile = ClientWriter(self.wfile, self._client_lost)
        # Not "idle": eventlet's drain closes idle keep-alive connections at once,
        # but this client has only just connected and its first request may be on
        # the way (see close_if_silent).
        self.conn_state[2] = STATE_NEW
        self.live.add(self)

    def finish(self) -> None:
        self.live.discard(self)
        super().finish()

    def close_if_silent(self) -> None:
        """Close the connection if its first request line has not arrived (while draining)."""
        if self.conn_state[2] == STATE_NEW:
            eventlet.greenio.shutdown_safe(self.connection)

    def handle(self) -> None:
        try:
            super().handle()
        except TimeoutError:
            state = self.conn_state[2]
            if state == eventlet.wsgi.STATE_IDLE:  # between requests: keepalive_timeout, normal
                LOG.debug("closing the idle keep-alive connection of %s", self._client())
            elif state == STATE_NEW:
                LOG.info("closing the connection of %s: no request received", self._client())
            else:
                LOG.info(
                    "closing the connection of %s: no data for %ss",
                    self._client(),
                    self.server.socket_timeout,
                )
        except OSError as exc:  # reading from the client: reset, TLS failure ...
            LOG.info("connection of %s closed: %s", self._client(), _reason(exc))

    def parse_request(self) -> bool:
        """Parse the request line and headers, then run :meth:`check_request`."""
        eventlet_headers = self.rfile  # eventlet's wrapper, with its global limit
        self.rfile = HeaderLines(
            eventlet_headers.fp, self.max_header_line, self.max_total_header_size
        )
        try:
            parsed = super().parse_request()
        except HeaderLineTooLong as exc:
            return self.refuse(HTTPStatus.BAD_REQUEST, str(exc))
        finally:
            self.rfile = eventlet_headers
        if not parsed:
            return False
        refusal = self.check_request()
        return self.refuse(*refusal) if refusal else True

    def check_request(self) -> tuple[int, str] | None:
        """Refuse a parsed request before the app runs: ``(status, message)`` or None."""
        if len(self.path) > self.max_url_length:
            return HTTPStatus.REQUEST_URI_TOO_LONG, (
                f"The request URL is longer than {self.max_url_length} bytes."
            )
        return None

    def refuse(self, status: int, message: str) -> bool:
        """Answer with a JSON fault and close the connection; returns False (not parsed)."""
        body = fault_body(int(status), message)
        head = (
            f"HTTP/1.1 {int(status)} {HTTPStatus(status).phrase}\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n"
            f"{REQUEST_ID_HEADER}: {new_request_id()}\r\n"
            "Connection: close\r\n\r\n"
        )
        self.close_connection = True
        self.wfile.write(head.encode("latin-1") + body)
        self.wfile.flush()
        LOG.info("refused a request from %s: %d %s", self._client(), int(status), message)
        self._linger()
        return False

    def _linger(self) -> None:
        """Read what the client still sends before closing (bounded), as nginx does.

        Closing with unread bytes makes the kernel send RST, and a client that
        gets RST may lose the response it has not read yet.
        """
        conn = self.connection
        try:
            conn.shutdown(socket.SHUT_WR)
            conn.settimeout(_LINGER_SECONDS)
            for _ in range(_LINGER_READS):
                if not conn.recv(65536):
                    break
        except OSError:
            pass  # the client went away or stayed silent: nothing left to protect

    def _client_lost(self, exc: OSError) -> None:
        self.close_connection = True
        request = getattr(self, "requestline", "") or "the request"
        LOG.info(
            "client %s went away before the response to %r was sent: %s",
            self._client(),
            request,
            _reason(exc),
        )

    def _client(self) -> str:
        address = self.client_address
        if isinstance(address, tuple) and len(address) >= 2:
            host, port = address[0], address[1]
            return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"
        return str(address or "unix socket client")


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


def protocol_class(
    max_header_line: int, max_url_length: int, is_draining: Callable[[], bool]
) -> type[Protocol]:
    """A :class:`Protocol` subclass holding one server's limits and drain state."""
    return type(
        "ServerProtocol",
        (Protocol,),
        {
            "max_header_line": max_header_line,
            "max_url_length": max_url_length,
            "is_draining": staticmethod(is_draining),
            "live": set(),
        },
    )
