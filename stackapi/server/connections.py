"""connections: the open connections of one serving process, and the loop that accepts them.

A connection costs a socket and a parked green thread, never a request slot
while it waits; so there are two bounds: ``max_connections`` green threads
(a ``GreenPool``) and ``pool_size`` requests in flight (the generation's
slots).  At the connection cap the oldest idle connection is closed to make
room; only when none is idle is a new one refused, with a 503 fault.
"""

from __future__ import annotations

import errno
import itertools
import logging
import socket
import sys
import time
from collections.abc import Callable

import eventlet
import eventlet.greenio
import eventlet.semaphore

from stackapi import __version__
from stackapi.guard import guarded
from stackapi.request_ids import new_request_id
from stackapi.server.connection import Connection, linger
from stackapi.server.listener import fit_connection_cap, tls_context
from stackapi.server.response import Response
from stackapi.server.settings import ServerSettings

LOG = logging.getLogger("stackapi.server")
#: Seconds a client that connected just before a drain has to send its request.
FIRST_REQUEST_GRACE = 2.0
_FULL_LOG_EVERY = 10.0  # seconds between two "connections are full" warnings
_EVICTION_CANDIDATES = 64  # idle connections looked at per eviction, oldest first
#: Refused connections that may linger at once so their 503 is read, not reset away;
#: past it a refusal closes at once (a flood of them costs no more than this).
REFUSALS_LINGERING = 64
_RETRY_ERRNOS = frozenset({errno.ECONNABORTED, errno.EPROTO, errno.EINTR, errno.EAGAIN})
_NO_FD_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})


class Generation:
    """What the next requests are served with: the app, the settings, the request slots.

    SIGHUP makes a new one; a request keeps the generation it started with.
    """

    def __init__(self, app: Callable, settings: ServerSettings, listener: socket.socket) -> None:
        # URLs checked, responses written only as valid HTTP (stackapi/guard.py).
        self.app = guarded(app)
        self.settings = settings
        self.slots = eventlet.semaphore.Semaphore(settings.pool_size)
        self.environ = base_environ(listener, settings)
        # Read again at each reload: SIGHUP is how a renewed certificate is taken up.
        self.tls = tls_context(settings) if settings.cert_file else None


def base_environ(listener: socket.socket, settings: ServerSettings) -> dict:
    """The environ keys every request of a generation shares (PEP 3333)."""
    name = listener.getsockname()
    host, port = (name[0], str(name[1])) if isinstance(name, tuple) else ("localhost", "")
    return {
        "GATEWAY_INTERFACE": "CGI/1.1",
        "SCRIPT_NAME": "",
        "SERVER_NAME": host,
        "SERVER_PORT": port,
        "SERVER_SOFTWARE": f"stackapi/{__version__}",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "https" if settings.cert_file else "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": settings.workers > 1,
        "wsgi.run_once": False,
        "wsgi.input_terminated": True,
    }


class Connections:
    """The process's connections: the accept loop, the idle list, the drain.

    ::

        connections = Connections(listener, generation)
        connections.start()          # accepts in its own green thread
        connections.replace(new_generation)       # a reload
        connections.drain()          # SIGTERM: stop accepting, close the idle
    """

    def __init__(self, listener: socket.socket, generation: Generation) -> None:
        settings = generation.settings
        self.generation = generation
        self.cap = fit_connection_cap(settings)
        self.pool = eventlet.GreenPool(self.cap)
        self.listener = eventlet.greenio.GreenSocket(listener.dup())
        self.open: set[Connection] = set()
        # Idle connections, oldest first: kept-alive ones, and new ones yet to send a byte.
        self.waiting: dict[Connection, None] = {}
        self.silent: dict[Connection, None] = {}
        self.draining = False
        self.in_flight = 0
        self.acceptor: eventlet.greenthread.GreenThread | None = None
        self._full_logged = 0.0
        self.refusals = eventlet.GreenPool(REFUSALS_LINGERING)

    def replace(self, generation: Generation) -> None:
        """A reload: the next requests get ``generation``; a new cap applies to new accepts."""
        self.generation = generation
        cap = fit_connection_cap(generation.settings)
        if cap != self.cap:
            self.cap = cap
            self.pool.resize(cap)

    def start(self) -> None:
        self.acceptor = eventlet.spawn(self._accept_loop)

    @property
    def accepting(self) -> bool:
        return self.acceptor is not None and not self.acceptor.dead

    def _accept_loop(self) -> None:
        while True:
            try:
                sock, address = self.listener.accept()
            except OSError as exc:
                if self._accept_failed(exc):
                    continue
                raise
            if len(self.open) >= self.cap and not self.evict_oldest():
                self._refuse_full(sock)
                continue
            connection = Connection(sock, address, self)
            self.open.add(connection)
            try:  # may wait a moment: a closed connection's green thread is still ending
                self.pool.spawn_n(connection.run)
            except BaseException:  # the drain killed this loop meanwhile
                self.open.discard(connection)
                sock.close()
                raise

    def _accept_failed(self, exc: OSError) -> bool:
        """Whether the accept loop goes on after ``exc``; it never spins on a full fd table."""
        if exc.errno in _RETRY_ERRNOS:
            return True
        if exc.errno in _NO_FD_ERRNOS:
            if not self.evict_oldest():
                self._warn_full(f"accept failed: {exc.strerror}")
            eventlet.sleep(0.1)  # the listening socket stays readable: do not spin
            return True
        return False

    def _refuse_full(self, sock: socket.socket) -> None:
        """A 503 to a connection over the cap when none is idle (best effort, no waiting)."""
        self._warn_full(f"max_connections ({self.cap}) reached and no connection is idle")
        message = "The server has too many open connections; retry later."
        try:
            sock.settimeout(0.0)
            sock.send(Response.fault_bytes(503, message, new_request_id()))
        except OSError:
            sock.close()
            return
        if self.refusals.free():
            self.refusals.spawn_n(self._linger_and_close, sock)
        else:
            sock.close()

    @staticmethod
    def _linger_and_close(sock: socket.socket) -> None:
        try:
            linger(sock)
        finally:
            sock.close()

    def _warn_full(self, message: str) -> None:
        now = time.monotonic()
        if now - self._full_logged >= _FULL_LOG_EVERY:
            self._full_logged = now
            LOG.warning("%s: refusing new connections", message)

    # -- what connections report ------------------------------------------------------

    def idle(self, connection: Connection) -> None:
        (self.silent if connection.fresh else self.waiting)[connection] = None
        if self.draining:  # it connected just before the drain: a grace period
            eventlet.spawn_after(FIRST_REQUEST_GRACE, self._evict_if_idle, connection)

    def busy(self, connection: Connection) -> None:
        self.waiting.pop(connection, None)
        self.silent.pop(connection, None)

    def closed(self, connection: Connection) -> None:
        self.open.discard(connection)
        self.busy(connection)

    def evict_oldest(self) -> bool:
        """Close the connection idle the longest: a kept-alive one first, else a new one
        that sent nothing; False if none is idle.  One whose request has arrived but
        not been read yet (its green thread has not run since) is passed over."""
        for idle in (self.waiting, self.silent):
            for connection in list(itertools.islice(idle, _EVICTION_CANDIDATES)):
                if self._evict_if_idle(connection):
                    return True
        return False

    def _evict_if_idle(self, connection: Connection) -> bool:
        """Close ``connection`` if it is still idle; one whose next request has arrived
        unread (FIONREAD) is not: it is served (with ``Connection: close`` in a drain)."""
        if connection not in self.waiting and connection not in self.silent:
            return False
        if connection.has_pending_bytes():
            return False
        self.busy(connection)
        connection.evict()
        return True

    # -- stopping -----------------------------------------------------------------------

    def drain(self) -> None:
        """Stop accepting; close idle keep-alive connections now (not one whose next
        request has arrived unread) and silent new ones after :data:`FIRST_REQUEST_GRACE`;
        requests in flight finish with ``Connection: close``."""
        if self.draining:
            return
        self.draining = True
        if self.acceptor is not None:
            self.acceptor.kill()
        self.listener.close()
        for connection in list(self.waiting):
            self._evict_if_idle(connection)
        for connection in list(self.silent):
            eventlet.spawn_after(FIRST_REQUEST_GRACE, self._evict_if_idle, connection)

    @property
    def done(self) -> bool:
        return not self.open
