"""process: one serving process's main loop: signals in, generations out, drain at the end.

``cli`` calls :func:`patch` before it loads the app, then binds with
:func:`stackapi.server.listener.listen` and runs :meth:`Server.serve`; a
``--workers`` child does the same on the parent's socket.  Signal handlers
only record the signal; the loop acts on it.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from collections.abc import Callable

import eventlet

from stackapi.errors import StackapiError
from stackapi.server import notify
from stackapi.server.connections import Connections, Generation
from stackapi.server.listener import close_listener
from stackapi.server.settings import RESTART_ONLY, ServerSettings

LOG = logging.getLogger("stackapi.server")
_POLL_SECONDS = 0.1  # how often the main loop looks at recorded signals
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)

#: What SIGHUP calls in a single process: the new app and settings, or StackapiError.
Reloader = Callable[[], "tuple[Callable, ServerSettings]"]


def patch() -> None:
    """Monkey-patch the standard library (before the app and its imports load)."""
    eventlet.monkey_patch()


class Server:
    """The main loop of one serving process.

    ::

        server = Server(sock, settings, reload=load_again)
        exit_code = server.serve(app)

    - SIGTERM/SIGINT: stop accepting, close idle connections, let requests in
      flight finish (bounded by ``graceful_shutdown_timeout``, 0 = no bound),
      exit 0.  A second one while draining: exit at once, ``128 + signal``.
    - SIGHUP: ``reload()`` builds the new app and settings; on success the next
      requests (on new and open connections alike) get them, while requests in
      flight finish on the old app; on failure one ERROR line and the old app
      goes on.  Without ``reload`` (a worker) SIGHUP is logged and ignored: the
      parent replaces workers.

    A worker passes ``parent_pid``: when its parent is gone it drains and exits.
    Only a process without a parent speaks systemd's notify protocol.
    """

    def __init__(
        self,
        listener: socket.socket,
        settings: ServerSettings,
        reload: Reloader | None = None,
        parent_pid: int | None = None,
    ) -> None:
        self.listener = listener
        self.settings = settings
        self.reload = reload
        self.parent_pid = parent_pid
        self.received: list[int] = []
        self.connections: Connections | None = None

    def notify(self, *fields: str) -> None:
        if self.parent_pid is None:  # systemd hears the main process only
            notify.notify(*fields)

    def serve(self, app: Callable) -> int:
        for signum in (*_STOP_SIGNALS, signal.SIGHUP):
            signal.signal(signum, self._record)
        generation = Generation(app, self.settings, self.listener)
        self.connections = Connections(self.listener, generation)
        self.connections.start()
        if self.parent_pid is None:  # a worker's parent says when all are ready
            LOG.info("ready: %d requests in flight at most", self.settings.pool_size)
            notify.notify("READY=1")
        while True:
            eventlet.sleep(_POLL_SECONDS)
            signum = self.received.pop(0) if self.received else None
            if signum in _STOP_SIGNALS:
                return self.stop(signal.Signals(signum).name)
            if self.parent_pid is not None and os.getppid() != self.parent_pid:
                return self.stop(f"parent {self.parent_pid} gone")
            if signum == signal.SIGHUP:
                self.hangup()
            if not self.connections.accepting:
                LOG.error("the accept loop stopped unexpectedly (see above); exiting")
                return 1

    def _record(self, signum: int, frame: object) -> None:
        self.received.append(signum)  # only record: the loop acts

    def hangup(self) -> None:
        if self.reload is None:
            if self.parent_pid is not None:
                LOG.info("SIGHUP ignored by worker %d: send it to the parent", os.getpid())
            else:
                LOG.info("SIGHUP ignored: this process cannot reload (stackapi-server can)")
            return
        self.notify("RELOADING=1", notify.monotonic_usec())
        try:
            app, settings = self.reload()
            self.settings.carry_restart_only(settings, (*RESTART_ONLY, "workers"))
            generation = Generation(app, settings, self.listener)
        except StackapiError as exc:
            LOG.error("reload failed, still serving the previous configuration: %s", exc)
            self.notify("READY=1")
            return
        connections = self.connections
        connections.replace(generation)
        self.settings = settings
        LOG.info(
            "reloaded: new requests go to the new app; %d request(s) finishing on the old one",
            connections.in_flight,
        )
        self.notify("READY=1")

    def stop(self, reason: str) -> int:
        """Stop accepting at once, drain; a second SIGTERM/SIGINT cuts it short."""
        self.notify("STOPPING=1")
        connections = self.connections
        LOG.info(
            "%s: stopped accepting; draining %d request(s) in flight",
            reason,
            connections.in_flight,
        )
        connections.drain()
        if self.parent_pid is None:
            close_listener(self.listener, self.settings)
        else:
            self.listener.close()  # this worker's copy; the parent owns the socket file
        timeout = self.settings.graceful_shutdown_timeout
        deadline = time.monotonic() + timeout if timeout else None
        while not connections.done:
            stop = next((s for s in self.received if s in _STOP_SIGNALS), None)
            if stop is not None:
                LOG.warning(
                    "second %s: exiting now, %d request(s) cut off",
                    signal.Signals(stop).name,
                    connections.in_flight,
                )
                return 128 + int(stop)
            if deadline is not None and time.monotonic() > deadline:
                LOG.warning(
                    "graceful_shutdown_timeout (%ss) passed with %d request(s) unfinished",
                    timeout,
                    connections.in_flight,
                )
                return 0
            eventlet.sleep(_POLL_SECONDS)
        LOG.info("stopped")
        return 0
