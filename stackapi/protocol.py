"""Protocol: eventlet's HTTP/1.1 connection handler with this server instance's limits.

Heads and bodies are read strictly (:mod:`stackapi.framing`).  Imported only by
:mod:`stackapi.server`.  Limits live on a subclass made per server
(:func:`protocol_class`); eventlet's module globals are never changed.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any, BinaryIO

import eventlet
import eventlet.greenio
import eventlet.wsgi
import webob.exc

from stackapi.faults import exception_message, fault_body
from stackapi.framing import (
    MAX_HEADER_FIELDS,
    Refusal,
    check_framing,
    header_message,
    parse_request_line,
    read_fields,
    wants_close,
)
from stackapi.request_body import RequestBody
from stackapi.request_ids import HEADER as REQUEST_ID_HEADER
from stackapi.request_ids import current_request_id, logging_request_id, new_request_id

LOG = logging.getLogger("stackapi.server")
#: A connection whose first request line has not arrived (eventlet knows idle,
#: request and close; a new connection is none of them).
STATE_NEW = "new"
_LINGER_SECONDS = 1.0  # per read, after a refusal
_LINGER_READS = 16  # x 64 KiB: what a refused client may still send before we close
# A reset or a closed socket between requests is the client leaving: not worth a log line.
_QUIET_ERRNOS = eventlet.wsgi.BROKEN_SOCK | eventlet.wsgi.BAD_SOCK


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


class HeadTimeout(TimeoutError):
    """The request line and headers did not all arrive within ``client_socket_timeout``."""


class Protocol(eventlet.wsgi.HttpProtocol):
    """eventlet's ``HttpProtocol`` with the limits and manners of one stackapi server.

    :func:`protocol_class` makes a subclass per server whose class attributes
    are that server's settings.  On top of eventlet's handler:

    - the request line and headers are parsed strictly by :mod:`stackapi.framing`;
      a head that could be read two ways (two lengths, a length with
      Transfer-Encoding, folded or colon-less lines ...) is refused with a JSON
      fault and the connection is closed, so nothing after it runs;
    - ``max_header_line`` (400), ``max_url_length`` (414), more than 100
      fields or 64 KiB of headers (431) are this server's limits;
    - a new connection has ``client_socket_timeout`` to start its request, an
      idle keep-alive connection ``keepalive_timeout``; from a request's first
      byte, its whole head must arrive within ``client_socket_timeout``;
    - the body is read by :class:`stackapi.request_body.RequestBody` (strict chunks;
      a body that breaks closes the connection after its fault);
    - while the server drains (``is_draining()`` true) every response says
      ``Connection: close`` and the connection closes after it;
    - a client that disconnects, stalls or fails the TLS handshake is one INFO
      line, never a traceback.

    Request checks go in :meth:`check_request`; a subclass adding checks
    calls ``super().check_request()`` first.
    """

    max_header_line = 16384
    max_url_length = 8192
    max_total_header_size = eventlet.wsgi.MAX_TOTAL_HEADER_SIZE  # read, never written
    max_header_fields = MAX_HEADER_FIELDS
    #: This server's open connections (a set per :func:`protocol_class`).
    live: set[Protocol] = set()
    _close_connection: Any = True
    body: RequestBody | None = None  # the current request's wsgi.input
    #: What broke the current request's body, and the request's id (logged after the response).
    body_problem: tuple[webob.exc.HTTPException, str | None] | None = None
    _head_timer: eventlet.Timeout | None = None

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
        if self.body is not None and not self.body.complete and not self.wfile.lost:
            # Closing with request bytes unread would send RST, which can destroy
            # the response before the client reads it.
            self.wfile.flush()
            self._linger()
        super().finish()

    def close_if_silent(self) -> None:
        """Close the connection if its first request line has not arrived (while draining)."""
        if self.conn_state[2] == STATE_NEW:
            eventlet.greenio.shutdown_safe(self.connection)

    def handle(self) -> None:
        try:
            super().handle()
        except HeadTimeout as exc:
            LOG.info(
                "closing the connection of %s: its request head was not complete within %ss",
                self._client(),
                exc.args[0],
            )
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

    def _read_request_line(self) -> bytes:
        """The next request line, or ``b""`` to close (eventlet calls it per request).

        Waits for the request's first byte (``keepalive_timeout`` on an idle
        keep-alive connection, the socket timeout on a new one), then starts
        the head's deadline, which :meth:`parse_request` stops.
        """
        self.body = None
        if self.rfile.closed:
            self.close_connection = True
            return b""
        line = b""
        try:
            line = self._read_first_line()
        except eventlet.greenio.SSL.ZeroReturnError:
            pass
        except OSError as exc:
            if exc.errno not in _QUIET_ERRNOS:
                raise
            LOG.debug("connection of %s reset between requests", self._client())
        finally:
            if not line:
                self._stop_head_deadline()
        return line

    def _read_first_line(self) -> bytes:
        sock, keepalive = self.connection, self.server.keepalive
        if self.conn_state[2] == eventlet.wsgi.STATE_IDLE and not isinstance(keepalive, bool):
            sock.settimeout(keepalive)
        first = self.rfile.peek(1)  # the next request's first byte, or EOF
        sock.settimeout(self.server.socket_timeout)
        if not first:
            return b""
        if self.server.socket_timeout:
            timeout = self.server.socket_timeout
            self._head_timer = eventlet.Timeout(timeout, HeadTimeout(timeout))
        limit = self.server.url_length_limit
        line = self.rfile.readline(limit)
        if line in (b"\r\n", b"\n"):  # RFC 9112 2.2: ignore an empty line before a request
            line = self.rfile.readline(limit)
        if len(line) >= limit:  # eventlet's own 414 is plain text: answer it here
            self._stop_head_deadline()
            message = f"The request URL is longer than {self.max_url_length} bytes."
            self.refuse(HTTPStatus.REQUEST_URI_TOO_LONG, message)
            return b""
        return line if line.endswith(b"\n") else b""  # else the client closed mid-line

    def _stop_head_deadline(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def parse_request(self) -> bool:
        """Parse the request line and headers strictly, then run :meth:`check_request`."""
        try:
            try:
                parsed = self._parse_head()
            finally:
                self._stop_head_deadline()
        except Refusal as refusal:
            return self.refuse(refusal.status, refusal.message)
        if not parsed:
            LOG.info("connection of %s closed in the middle of a request head", self._client())
            return False
        refusal = self.check_request()
        return self.refuse(*refusal) if refusal else True

    def _parse_head(self) -> bool:
        """Set what http.server's parse_request sets; False if the client closed."""
        self.command = None
        self.request_version = self.default_request_version
        self.close_connection = True
        self.requestline = self.raw_requestline.decode("latin-1").rstrip("\r\n")
        method, target, version = parse_request_line(self.raw_requestline)
        fields = read_fields(
            self.rfile.fp,  # self.rfile is eventlet's header reader, with its global limits
            self.max_header_line,
            self.max_total_header_size,
            self.max_header_fields,
        )
        if fields is None:
            return False
        check_framing(version, fields)
        self.command, self.request_version = method, version
        # As http.server does (gh-87389): "//evil.example/x" must not become a scheme-relative URL.
        self.path = "/" + target.lstrip("/") if target.startswith("//") else target
        self.headers = header_message(fields)
        self.close_connection = wants_close(version, fields)
        return True

    def check_request(self) -> tuple[int, str] | None:
        """Refuse a parsed request before the app runs: ``(status, message)`` or None."""
        if len(self.path) > self.max_url_length:
            return HTTPStatus.REQUEST_URI_TOO_LONG, (
                f"The request URL is longer than {self.max_url_length} bytes."
            )
        return None

    def get_environ(self) -> dict:
        environ = super().get_environ()
        self.body = RequestBody(
            environ["eventlet.input"], environ, self._body_failed, self.max_header_line
        )
        environ["wsgi.input"] = environ["eventlet.input"] = self.body
        return environ

    def handle_one_request(self) -> None:
        self.body_problem = None
        try:
            super().handle_one_request()
        finally:
            self._report_body_problem()

    def _body_failed(self, exc: webob.exc.HTTPException | None, gone: bool) -> None:
        """The request body broke (or is too large to drain): close after the response.

        The problem is logged once the response is written -- merged into the
        "went away" line if the client turns out to be gone.
        """
        self.close_connection = True
        if exc is not None:
            self.body_problem = (exc, current_request_id.get())
        if gone:
            self.wfile.lost = True  # the fault cannot reach it
            self._report_body_problem(lost="the connection broke")

    def _report_body_problem(self, lost: str | None = None) -> None:
        """One INFO line for the request body's problem, with the request's id."""
        if self.body_problem is None:
            return
        exc, request_id = self.body_problem
        self.body_problem = None
        if lost is None:
            _log(
                request_id,
                "the body of %r from %s was refused: %d %s",
                self.requestline,
                self._client(),
                exc.code,
                exception_message(exc),
            )
        else:
            _log(
                request_id,
                "client %s went away while sending the body of %r (%s): %s",
                self._client(),
                self.requestline,
                exception_message(exc),
                lost,
            )

    def refuse(self, status: int, message: str) -> bool:
        """Answer with a JSON fault and close the connection; returns False (not parsed)."""
        body = fault_body(int(status), message)
        request_id = new_request_id()
        head = (
            f"HTTP/1.1 {int(status)} {HTTPStatus(status).phrase}\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n"
            f"{REQUEST_ID_HEADER}: {request_id}\r\n"
            "Connection: close\r\n\r\n"
        )
        self.close_connection = True
        self.wfile.write(head.encode("latin-1") + body)
        self.wfile.flush()
        _log(request_id, "refused a request from %s: %d %s", self._client(), int(status), message)
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
        if self.body_problem is not None:
            self._report_body_problem(lost=_reason(exc))
            return
        request = getattr(self, "requestline", "") or "the request"
        LOG.info(
            "client %s went away before the response to %r was sent: %s",
            self._client(),
            request,
            _reason(exc),
        )

    def _client(self) -> str:
        return describe_address(self.client_address or "unix socket client")


def _log(request_id: str | None, message: str, *args: object) -> None:
    """An INFO line carrying ``request_id`` (no request_id filter runs around the protocol)."""
    with logging_request_id(request_id):
        LOG.info(message, *args)


def describe_address(address: object) -> str:
    """``127.0.0.1:8774``, ``[::1]:8774`` or a Unix socket's path, for log lines."""
    if isinstance(address, tuple):
        host, port = address[0], address[1]
        return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"
    return str(address)


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
