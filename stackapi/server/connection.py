"""connection: one client connection's HTTP/1.1 loop, on a green socket, parsed by httptools.

Each accepted connection runs :meth:`Connection.run` in its own green thread.
It holds no request slot while it waits for its client: idle, reading a head,
or (while the app reads ``wsgi.input``) waiting for body bytes.  A request takes
one of ``pool_size`` slots for the app's own work, and gives it back while a
response waits for a client that does not read; so clients trickling heads or
bodies, or not reading, cost the others nothing.

httptools (llhttp) validates every byte; this module decides which bytes it is
fed: exactly one head (up to its blank line), then exactly the body's framing,
a chunk-size line at a time.  So each request's wire bytes are counted exactly
(limits on heads, chunk extensions, trailers and unread bodies), a pipelined
request is parsed only when its turn comes, and a chunk announcing more than
the body limit is refused before its data is awaited (httptools does not
expose chunk sizes).  Deadlines are totals (``client_header_timeout``,
``client_body_timeout``), not per read.
"""

from __future__ import annotations

import _socket
import array
import errno
import fcntl
import logging
import socket
import ssl
import termios
import time
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import eventlet
import httptools

from stackapi.faults import BODY_LIMIT_KEY, GENERIC_500, exception_message, too_large
from stackapi.grammar import Refusal, check_head, check_trailer, parse_target
from stackapi.grammar import check_version as http_version
from stackapi.request_ids import ENVIRON_KEY as REQUEST_ID_KEY
from stackapi.request_ids import logging_request_id, new_request_id
from stackapi.server.body import BodyError, BodyMalformed, BodyState, BodyTimeout, BodyTooLarge
from stackapi.server.listener import describe_address
from stackapi.server.request import Request, build_environ
from stackapi.server.response import Response

if TYPE_CHECKING:
    from stackapi.server.connections import Connections, Generation
    from stackapi.server.settings import ServerSettings

LOG = logging.getLogger("stackapi.server")
ACCESS = logging.getLogger("stackapi.server.access")

READ_SIZE = 65536
#: A body the app left unread is drained up to this many wire bytes to keep the
#: connection; with more left, the connection is closed instead.
DISCARD_LIMIT = 65536
MAX_HEADER_FIELDS = 100  # http.client's own cap
MAX_HEAD_SIZE = 65536  # request line and headers, in total (431 beyond)
#: Chunk extensions and trailers, per request: framing a client may add beyond the data.
MAX_FRAMING_EXTRA = 65536
LINGER_SECONDS = 1.0  # per read, after a refusal
LINGER_READS = 16  # x 64 KiB: what a refused client may still send before we close
_QUIET_ERRNOS = frozenset({errno.ECONNRESET, errno.EPIPE, errno.ENOTCONN, errno.ESHUTDOWN})


class HeadTimeout(Exception):
    """A request head did not arrive in time: ``client_header_timeout`` or a stalled read."""


class Connection:
    """One client connection: read a request, run it in a slot, answer, repeat.

    The httptools callbacks (``on_*``) fill :attr:`req`; the rest reads the socket
    and decides.  ``registry`` is the process's :class:`Connections`: the current
    generation (app, settings, slots), the idle list and the drain flag.
    """

    def __init__(self, sock: Any, address: Any, registry: Connections) -> None:
        self.sock = sock
        self.raw = sock  # the TCP socket under TLS, for shutdown()
        self.address = address
        self.client = describe_address(address)
        self.registry = registry
        self.buf = b""
        self.parser = httptools.HttpRequestParser(self)
        self.req: Request | None = None
        self.settings: ServerSettings = registry.generation.settings
        self.fresh = True  # no request yet: a drain gives it a grace period
        self.accepted: float | None = time.monotonic()
        self.lost = False  # a write failed: the client is gone
        self.lost_reason = ""
        self.lost_logged = False

    # -- the loop -------------------------------------------------------------------

    def run(self) -> None:
        try:
            if self.registry.generation.tls is not None and not self._handshake():
                return
            while self._serve_one():
                eventlet.sleep(0)  # a pipelining or fast client lets the others run
        except OSError as exc:
            if exc.errno in _QUIET_ERRNOS:
                LOG.debug("connection of %s reset", self.client)
            else:
                LOG.info("connection of %s closed: %s", self.client, _reason(exc))
        except Exception:
            LOG.exception("connection of %s failed (a server error)", self.client)
        finally:
            self.registry.closed(self)
            self.parser = None  # type: ignore[assignment]  # a reference cycle less
            try:
                self.sock.close()
            except OSError:
                pass

    def _handshake(self) -> bool:
        """The TLS handshake, within client_header_timeout; False (logged) if it fails.

        A connection that sends plain HTTP to the TLS port gets a plain 400 fault
        (as nginx answers), not a reset: its first byte is not a TLS record's.
        """
        settings = self.settings
        self.registry.idle(self)  # until its first byte, it is idle like any other
        try:
            self.raw.settimeout(
                _shortest(settings.client_header_timeout, settings.client_socket_timeout)
            )
            first = self.raw.recv(1, socket.MSG_PEEK)
        except TimeoutError:
            return False
        finally:
            self.registry.busy(self)
        if not first:
            return False
        if first != b"\x16":  # TLS records of a handshake start with 22
            self.refuse(400, "This port speaks HTTPS: the request was sent as plain HTTP.")
            return False
        # The whole handshake is due client_header_timeout after the accept: the socket's
        # timeout bounds each read only, and a client may trickle its ClientHello.
        deadline = _deadline(settings.client_header_timeout, self.accepted)
        late = HeadTimeout(f"client_header_timeout {settings.client_header_timeout:g}s")
        try:
            tls = self.registry.generation.tls
            self.sock = tls.wrap_socket(self.raw, server_side=True, do_handshake_on_connect=False)
            # wrap_socket() detached the TCP socket: shutdown() and FIONREAD go through this.
            self.raw = _TransportOf(self.sock)
            with eventlet.Timeout(deadline and max(0.0, deadline - time.monotonic()), late):
                self.sock.do_handshake()
        except HeadTimeout as exc:
            LOG.info(
                "closing the connection of %s: its TLS handshake was not complete (%s)",
                self.client,
                exc,
            )
            return False
        except (OSError, ValueError) as exc:
            LOG.info("connection of %s closed: %s", self.client, _reason(exc))
            return False
        return True

    def _serve_one(self) -> bool:
        """Read, run and answer one request; whether the connection stays open."""
        generation = self.registry.generation
        self.settings = generation.settings
        try:
            req = self._read_request()
        except Refusal as refusal:
            self.refuse(refusal.status, refusal.message)
            return False
        except HeadTimeout as exc:
            self._head_timed_out(str(exc))
            return False
        if req is None:
            return False
        self.fresh, self.accepted = False, None
        return self._dispatch(req, generation)

    # -- reading a head ---------------------------------------------------------------

    def _read_request(self) -> Request | None:
        """The next request with its head parsed and checked; None to close quietly."""
        if not self.buf:
            self.buf = self._wait_for_request()
            if not self.buf:
                return None
        # A new connection's first head is due client_header_timeout after the accept
        # (as nginx counts it); a keep-alive request's, after its first byte.
        deadline = _deadline(self.settings.client_header_timeout, self.accepted)
        tail, fed = b"", 0
        self.req = None
        while True:
            buf = self.buf or self._recv(deadline, "head")
            if not buf:
                if fed or self.req is not None:
                    LOG.info(
                        "connection of %s closed in the middle of a request head", self.client
                    )
                return None
            window = tail + buf
            end = window.find(b"\r\n\r\n")
            cut = end + 4 - len(tail) if end >= 0 else len(buf)
            piece, self.buf = buf[:cut], buf[cut:]
            fed += len(piece)
            if fed > MAX_HEAD_SIZE:
                raise Refusal(
                    HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                    f"The request headers are larger than {MAX_HEAD_SIZE} bytes in total.",
                )
            self._feed(piece)
            req = self.req
            if req is not None and req.head_done:
                return req
            tail = (tail + piece)[-3:]

    def _wait_for_request(self) -> bytes:
        """The first bytes of the next request; b"" when idle too long, evicted or drained."""
        registry, settings = self.registry, self.settings
        if registry.draining and not self.fresh:
            return b""
        if self.fresh:
            timeout = _shortest(settings.client_header_timeout, settings.client_socket_timeout)
        elif settings.keepalive and settings.keepalive_timeout:
            timeout = settings.keepalive_timeout
        else:
            return b""
        registry.idle(self)
        try:
            self.sock.settimeout(timeout)
            data = self.sock.recv(READ_SIZE)
        except TimeoutError:
            if self.fresh:
                LOG.info("closing the connection of %s: no request received", self.client)
            else:
                LOG.debug("closing the idle keep-alive connection of %s", self.client)
            return b""
        except OSError as exc:
            if exc.errno not in _QUIET_ERRNOS and exc.errno != errno.EBADF:
                raise
            return b""
        finally:
            registry.busy(self)
        return data

    def _recv(self, deadline: float | None, phase: str) -> bytes:
        """One read, bounded by ``deadline`` and client_socket_timeout; EOF is b""."""
        timeout = self.settings.client_socket_timeout or None
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                return self._recv_arrived(phase)
            timeout = left if timeout is None else min(timeout, left)
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(READ_SIZE)
        except TimeoutError:
            if deadline is not None and deadline - time.monotonic() <= 0.001:
                raise _late(phase, self.settings) from None
            stalled = f"no data for {self.settings.client_socket_timeout:g}s"
            if phase == "head":
                raise HeadTimeout(stalled) from None
            raise BodyTimeout(
                explanation=f"The request body stopped arriving ({stalled})."
            ) from None

    def _recv_arrived(self, phase: str) -> bytes:
        """Past the deadline, bytes the kernel already holds still count: the server
        came late to them (a request waiting for a slot, a busy process), not the client."""
        self.sock.settimeout(0.0)
        try:
            return self.sock.recv(READ_SIZE)
        except (BlockingIOError, ssl.SSLWantReadError):
            raise _late(phase, self.settings) from None
        finally:
            self.sock.settimeout(self.settings.client_socket_timeout or None)

    def _feed(self, data: bytes) -> None:
        """Hand ``data`` to httptools; its refusals and ours come out as Refusal."""
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserCallbackError as exc:
            cause = exc.__context__
            if isinstance(cause, Refusal | BodyError):
                raise cause from None
            raise
        except httptools.HttpParserUpgrade:
            self._upgraded()
        except httptools.HttpParserError as exc:
            reason = str(exc).rstrip(".") or type(exc).__name__
            raise Refusal(400, f"The request is not valid HTTP/1.1: {reason}.") from None

    def _upgraded(self) -> None:
        """httptools stops after a head asking for Upgrade (or CONNECT): serve that one
        request as plain HTTP/1.1, then close; its body was not framed, so none may come.

        (httptools calls ``on_message_complete`` first, so an announced body would
        reach the app as an empty one.)"""
        req = self.req
        if req.body is not None:
            raise Refusal(400, "A request asking for a protocol upgrade cannot have a body here.")
        req.upgrade = True

    # -- httptools callbacks ----------------------------------------------------------

    def on_message_begin(self) -> None:
        self.req = Request()

    def on_url(self, url: bytes) -> None:
        req = self.req
        req.url += url
        if len(req.url) > self.settings.max_url_length:
            raise Refusal(
                HTTPStatus.REQUEST_URI_TOO_LONG,
                f"The request URL is longer than {self.settings.max_url_length} bytes.",
            )

    def on_header(self, name: bytes, value: bytes) -> None:
        req = self.req
        if req.head_done:  # a trailer: checked, counted, never handed to the app
            check_trailer(name.decode("latin-1"))
            return
        limit = self.settings.max_header_line
        if len(name) + len(value) + 2 > limit:
            raise Refusal(400, f"A request header line is longer than {limit} bytes.")
        req.fields.append((name.decode("latin-1"), value.decode("latin-1")))
        if len(req.fields) > MAX_HEADER_FIELDS:
            raise Refusal(
                HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                f"The request has more than {MAX_HEADER_FIELDS} header fields.",
            )

    def on_headers_complete(self) -> None:
        req, parser, settings = self.req, self.parser, self.settings
        req.head_done = True
        major, _, minor = parser.get_http_version().partition(".")
        req.version = http_version(int(major), int(minor))
        req.method = parser.get_method().decode("ascii")
        req.target = parse_target(
            req.method, req.url.decode("latin-1"), settings.allow_encoded_slashes
        )
        req.framing = framing = check_head(req.version, req.fields)
        if framing.chunked or framing.length:
            req.body = BodyState(framing.length, framing.chunked)
            req.body_deadline = _deadline(settings.client_body_timeout)

    def on_body(self, data: bytes) -> None:
        self.req.body.add(data)

    def on_message_complete(self) -> None:
        if self.req.body is not None:
            self.req.body.complete = True

    # -- reading a body ---------------------------------------------------------------

    def pull_body(self, req: Request) -> None:
        """Read and feed the next piece of ``req``'s body (``wsgi.input`` calls this).

        Raises the body's :class:`BodyError` (and keeps it: the connection closes).
        """
        state = req.body
        if state.error is not None:
            raise state.error
        limit = req.environ.get(BODY_LIMIT_KEY) if req.environ is not None else None
        if limit is not None and state.announced > limit:  # announced before the limit was set
            state.error = BodyTooLarge(explanation=exception_message(too_large(limit)))
            raise state.error
        if req.framing.expect_continue and not req.continue_sent:
            req.continue_sent = True
            self.send(b"HTTP/1.1 100 Continue\r\n\r\n")
        try:
            if req.framing.chunked:
                self._pull_chunked(req, state)
            else:
                self._pull_length(req, state)
        except Refusal as refusal:  # httptools refused the framing
            state.error = (BodyTooLarge if refusal.status == 413 else BodyMalformed)(
                explanation=refusal.message
            )
            raise state.error from None
        except BodyError as exc:
            state.error = exc
            raise

    def _pull_length(self, req: Request, state: BodyState) -> None:
        data = self._take(min(state.length_left, READ_SIZE), req)
        state.length_left -= len(data)
        state.wire += len(data)
        self._feed(data)

    def _pull_chunked(self, req: Request, state: BodyState) -> None:
        if state.chunk_left:  # chunk data, then its CRLF
            data = self._take(min(state.chunk_left, READ_SIZE), req)
            state.chunk_left -= len(data)
            state.wire += len(data)
            self._feed(data)
            return
        line = self._take_line(req)
        state.wire += len(line)
        if state.in_trailers:
            extra = len(line)
        else:
            digits = len(line) - len(line.lstrip(b"0123456789abcdefABCDEF"))
            extra = len(line) - digits - 2
        state.extra_bytes += extra
        if state.extra_bytes > MAX_FRAMING_EXTRA:
            raise BodyMalformed(
                explanation=f"The chunk extensions and trailers are larger than "
                f"{MAX_FRAMING_EXTRA} bytes."
            )
        self._feed(line)  # httptools validates the size line or the trailer field
        if state.in_trailers:
            return
        size = int(line[:digits], 16)
        state.announced += size
        limit = req.environ.get(BODY_LIMIT_KEY) if req.environ is not None else None
        if limit is not None and state.announced > limit:
            raise BodyTooLarge(explanation=exception_message(too_large(limit)))
        if size:
            state.chunk_left = size + 2
        else:
            state.in_trailers = True

    def _take(self, size: int, req: Request) -> bytes:
        """Up to ``size`` bytes of ``req``'s body: buffered ones first, else one read."""
        buf = self.buf or self._recv_body(req)
        data, self.buf = buf[:size], buf[size:]
        return data

    def _take_line(self, req: Request) -> bytes:
        """A chunk-size or trailer line (to its LF), at most max_header_line long."""
        limit = self.settings.max_header_line + 2
        while True:
            end = self.buf.find(b"\n", 0, limit)
            if end >= 0:
                line, self.buf = self.buf[: end + 1], self.buf[end + 1 :]
                return line
            if len(self.buf) >= limit:
                raise BodyMalformed(
                    explanation=f"A chunk-size or trailer line is longer than {limit - 2} bytes."
                )
            self.buf += self._recv_body(req)

    def _recv_body(self, req: Request) -> bytes:
        """Body bytes from the client; the request's slot is free while it waits for them."""
        slots = req.slots
        if slots is not None:
            slots.release()
        try:
            data = self._recv(req.body_deadline, "body")
        finally:
            if slots is not None:
                slots.acquire()
        if not data:
            raise self._truncated(req)
        return data

    def _truncated(self, req: Request) -> BodyMalformed:
        state = req.body
        if req.framing.chunked:
            return BodyMalformed(explanation="The chunked request body ended early.")
        total = state.received + state.length_left
        return BodyMalformed(
            explanation=f"The request body ended after {state.received} of {total} bytes."
        )

    @staticmethod
    def cannot_drain(req: Request) -> bool:
        """Whether the body the app left unread closes the connection for sure: a 100
        Continue never sent (the client may hold its body back), or more Content-Length
        bytes left than :data:`DISCARD_LIMIT`.  The response head then says so."""
        state = req.body
        if state is None or state.complete:
            return False
        if req.framing.expect_continue and not req.continue_sent:
            return True
        return not req.framing.chunked and state.length_left > DISCARD_LIMIT

    def _discard(self, req: Request) -> bool:
        """Drain what the app left unread (bounded); whether the connection can go on."""
        state = req.body
        if self.cannot_drain(req):
            return False
        start = state.wire
        try:
            while not state.complete:
                if state.wire - start > DISCARD_LIMIT:
                    return False
                self.pull_body(req)
                state.chunks.clear()
                state.buffered = 0
        except BodyError:
            return False
        return True

    # -- running the app ----------------------------------------------------------------

    def _dispatch(self, req: Request, generation: Generation) -> bool:
        """Run the app for ``req`` in a request slot and write its response."""
        environ = build_environ(req, generation, self.address, lambda: self.pull_body(req))
        registry = self.registry
        close = (
            req.framing.close
            or req.upgrade
            or not self.settings.keepalive
            or not self.settings.keepalive_timeout
        )
        response = Response(self, req, close)
        started = time.monotonic()
        with generation.slots:
            registry.in_flight += 1
            req.slots = generation.slots
            try:
                self._run_app(generation.app, environ, response)
            finally:
                req.slots = None
                registry.in_flight -= 1
        if req.body is not None and req.body.error is not None:
            self._report_body(req, req.body.error)
        if ACCESS.isEnabledFor(logging.INFO):
            with logging_request_id(environ.get(REQUEST_ID_KEY)):  # set by request_id
                _access(self.client, req, response, started)
        keep = not response.close and not self.lost and not registry.draining
        unread = req.body is not None and not req.body.complete
        if keep and unread:
            keep = self._discard(req)
        if not keep and unread and not self.lost:
            linger(self.sock, self.raw)  # closing on unread bytes would reset the response away
        return keep

    def _run_app(self, app: Any, environ: dict, response: Response) -> None:
        try:
            result = app(environ, response.start_response)
            try:
                response.send_body(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        except BodyError as exc:  # a plain WSGI app let the body's error escape
            response.fail(exc.code, exception_message(exc))
        except Exception:
            request_id = environ[REQUEST_ID_KEY] = environ.get(REQUEST_ID_KEY) or new_request_id()
            with logging_request_id(request_id):
                LOG.exception("the app failed on %r from %s", environ["RAW_URI"], self.client)
            response.fail(500, GENERIC_500, request_id)

    # -- writing ----------------------------------------------------------------------

    def send(self, data: bytes) -> bool:
        """Write ``data``; False (once logged by the caller) if the client is gone.

        What the kernel does not take at once is written with the request's slot free,
        as while waiting for body bytes: a client that does not read its response
        (each write may stall ``client_socket_timeout``) holds no slot the others need.
        """
        if self.lost:
            return False
        try:
            sent = self._send_at_once(data)
            if sent < len(data):
                self._send_waiting(memoryview(data)[sent:])
        except OSError as exc:
            self.lost = True
            self.lost_reason = _reason(exc)
            return False
        return True

    def _send_at_once(self, data: bytes) -> int:
        self.sock.settimeout(0.0)
        try:
            return self.sock.send(data)
        except (BlockingIOError, ssl.SSLWantWriteError):
            return 0  # TLS: the same bytes again (OpenSSL may have taken some of them)

    def _send_waiting(self, rest: memoryview) -> None:
        slots = self.req.slots if self.req is not None else None
        if slots is not None:
            slots.release()
        try:
            self.sock.settimeout(self.settings.client_socket_timeout or None)
            self.sock.sendall(rest)
        finally:
            if slots is not None:
                slots.acquire()

    def refuse(self, status: int, message: str) -> None:
        """The server's own JSON fault, then close (reading a little first, as nginx does)."""
        request_id = new_request_id()
        self.send(Response.fault_bytes(status, message, request_id))
        with logging_request_id(request_id):
            LOG.info("refused a request from %s: %d %s", self.client, status, message)
        linger(self.sock, self.raw)

    def _head_timed_out(self, reason: str) -> None:
        LOG.info(
            "closing the connection of %s: its request head was not complete (%s)",
            self.client,
            reason,
        )
        request_id = new_request_id()
        message = "The request head did not arrive in time."
        self.send(Response.fault_bytes(408, message, request_id))

    def _report_body(self, req: Request, exc: BodyError) -> None:
        """One INFO line for a body that broke, with the request's id."""
        request_id = (req.environ or {}).get(REQUEST_ID_KEY)
        with logging_request_id(request_id):
            if self.lost:
                LOG.info(
                    "client %s went away while sending the body of %r (%s): %s",
                    self.client,
                    req.line,
                    exception_message(exc),
                    self.lost_reason,
                )
            else:
                LOG.info(
                    "the body of %r from %s was refused: %d %s",
                    req.line,
                    self.client,
                    exc.code,
                    exception_message(exc),
                )

    def has_pending_bytes(self) -> bool:
        """Whether the client sent bytes this connection has not read (FIONREAD: no read,
        no wait)."""
        count = array.array("i", [0])
        try:
            fcntl.ioctl(self.raw.fileno(), termios.FIONREAD, count, True)
        except OSError:
            return False
        return count[0] > 0

    def evict(self) -> None:
        """Close this (idle) connection from another green thread: its read returns EOF."""
        try:
            self.raw.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class _TransportOf:
    """The TCP connection under a TLS socket: its descriptor, and shutdown() on it.

    The socket that ``wrap_socket()`` wrapped is detached (its ``fileno()`` is -1),
    and the TLS socket's own ``shutdown()`` drops its TLS state under the green
    thread reading it; this shuts the descriptor down, so that read sees EOF.
    """

    __slots__ = ("tls",)

    def __init__(self, tls: Any) -> None:
        self.tls = tls

    def fileno(self) -> int:
        return self.tls.fileno()

    def shutdown(self, how: int) -> None:
        # The C socket's own: socket.socket is eventlet's under monkey_patch(), and
        # SSLSocket.shutdown() would drop the TLS state under a green thread reading it.
        _socket.socket.shutdown(self.tls, how)


def _deadline(seconds: float, start: float | None = None) -> float | None:
    return (start or time.monotonic()) + seconds if seconds else None


def _shortest(*seconds: float) -> float | None:
    given = [s for s in seconds if s]
    return min(given) if given else None


def _late(phase: str, settings: ServerSettings) -> Exception:
    if phase == "head":
        return HeadTimeout(f"client_header_timeout {settings.client_header_timeout:g}s")
    return BodyTimeout(
        explanation=f"The request body did not arrive within {settings.client_body_timeout:g}s."
    )


def _access(client: str, req: Request, response: Response, started: float) -> None:
    ACCESS.info(
        '%s "%s" status: %s len: %d time: %.6f',
        client,
        req.line,
        response.code or "-",
        response.sent,
        time.monotonic() - started,
    )


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def linger(sock: socket.socket, raw: socket.socket | None = None) -> None:
    """Read what the client still sends before closing (bounded): closing with unread
    bytes makes the kernel send RST, which can destroy the response in flight.

    ``raw`` is the TCP socket under ``sock`` when ``sock`` is TLS (for shutdown()).
    """
    try:
        (raw or sock).shutdown(socket.SHUT_WR)
        sock.settimeout(LINGER_SECONDS)
        for _ in range(LINGER_READS):
            if not sock.recv(READ_SIZE):
                break
    except OSError:
        pass  # the client went away or stayed silent: nothing left to protect
