"""The eventlet WSGI server: with :mod:`stackapi.protocol`, the only code that imports eventlet.

``cli`` calls :func:`patch` before it loads the app, then :func:`listen` and
:meth:`Server.serve`; :mod:`stackapi.workers` forks processes that do the same.
Limits are per server instance; eventlet's module globals are never changed.
"""

from __future__ import annotations

import errno
import logging
import os
import signal
import socket
import stat
import time
from collections.abc import Callable

import eventlet
import eventlet.greenio
import eventlet.wsgi
from eventlet.green import ssl as green_ssl

from stackapi.errors import ConfigError, StackapiError
from stackapi.guard import Guard
from stackapi.protocol import describe_address, protocol_class
from stackapi.settings import RESTART_ONLY, ServerSettings

LOG = logging.getLogger("stackapi.server")
_POLL_SECONDS = 0.1  # how often the main loop looks at recorded signals
# eventlet's limit is on the whole request line; ours is on the URL (Protocol.check_request).
_REQUEST_LINE_SLACK = 64  # room for the method and " HTTP/1.1\r\n"
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
FIRST_REQUEST_GRACE = 2.0  # seconds a just-connected client has to send its request, when draining
# eventlet's access line, without its own date (the log record has one).
_ACCESS_FORMAT = (
    '%(client_ip)s "%(request_line)s" status: %(status_code)s len: %(body_length)s '
    "time: %(wall_seconds).6f"
)

#: What SIGHUP calls in a single process: the new app and settings, or StackapiError.
Reloader = Callable[[], "tuple[Callable, ServerSettings]"]


def patch() -> None:
    """Monkey-patch the standard library (before the app and its imports load)."""
    eventlet.monkey_patch()


def listen(settings: ServerSettings) -> socket.socket:
    """Bind and listen; a busy port or a bad address is one StackapiError line.

    A plain (not green) socket without ``SO_REUSEPORT``, so that a second
    server on the same port fails instead of silently sharing it, and so that
    the ``--workers`` parent can hold it without running eventlet.
    """
    family, address = _address(settings)
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if family != socket.AF_UNIX:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(settings.backlog)
    except OSError as exc:
        sock.close()
        where = describe_address(address)
        raise StackapiError(f"cannot listen on {where}: {exc.strerror or exc}") from exc
    if settings.cert_file:
        tls_context(settings)  # a bad certificate fails now, before anything is served
    LOG.info("listening on %s", url_of(sock, settings))
    return sock


def _address(settings: ServerSettings) -> tuple[int, object]:
    if settings.unix_socket:
        _remove_stale_unix_socket(settings.unix_socket)
        return socket.AF_UNIX, settings.unix_socket
    try:
        info = socket.getaddrinfo(
            settings.host, settings.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except socket.gaierror as exc:
        raise StackapiError(f"cannot resolve host {settings.host!r}: {exc.strerror}") from exc
    family, _, _, _, address = info[0]
    return family, address


def _remove_stale_unix_socket(path: str) -> None:
    """A socket file left by a server that died is removed; a live one is 'in use'."""
    try:
        if not stat.S_ISSOCK(os.stat(path).st_mode):
            return  # not a socket: bind() reports it
    except FileNotFoundError:
        return
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(path)
    except ConnectionRefusedError:
        os.unlink(path)
    except OSError:
        pass
    else:
        raise StackapiError(f"cannot listen on {path}: another server is listening there")
    finally:
        probe.close()


def close_listener(sock: socket.socket, settings: ServerSettings) -> None:
    """Close the listening socket (and remove its Unix socket file): new clients are refused."""
    if sock.fileno() == -1:
        return
    sock.close()
    if settings.unix_socket:
        try:
            os.unlink(settings.unix_socket)
        except FileNotFoundError:
            pass


def tls_context(settings: ServerSettings) -> green_ssl.GreenSSLContext:
    """The server's TLS context; an unreadable or bad cert/key is a ConfigError."""
    context = green_ssl.GreenSSLContext(green_ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(settings.cert_file, settings.key_file)
    except (OSError, green_ssl.SSLError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ConfigError(
            f"cannot load {settings.cert_file} and {settings.key_file}: {reason}",
            section="server:main",
            key="cert_file",
        ) from exc
    return context


def url_of(sock: socket.socket, settings: ServerSettings) -> str:
    """``http://127.0.0.1:8774`` (what the "listening on" log line says)."""
    name = sock.getsockname()
    if isinstance(name, tuple):
        scheme = "https" if settings.cert_file else "http"
        return f"{scheme}://{describe_address(name)}"
    return f"unix:{name}"


class StopAccepting(SystemExit):
    """Thrown into an accept loop to end it (eventlet.wsgi.server catches SystemExit)."""


class Acceptor:
    """The listening socket as ``eventlet.wsgi.server`` sees it; ends its loop cleanly.

    When the loop leaves, eventlet closes every connection it considers idle,
    and a connection it accepted whose green thread has not run yet counts as
    idle: its client would get no response.  So on :class:`StopAccepting` the
    loop first yields once, letting those green threads start (the protocol
    marks them new), then leaves through an errno eventlet treats as the end.
    """

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def __getattr__(self, name: str) -> object:
        return getattr(self.sock, name)

    def accept(self) -> tuple[socket.socket, object]:
        try:
            return self.sock.accept()
        except StopAccepting:
            eventlet.sleep(0)  # green threads spawned before this one run first
            raise OSError(errno.ESHUTDOWN, "stopped accepting") from None


class Generation:
    """One app with one set of settings, served on the listening socket.

    An ``eventlet.wsgi.server`` on its own duplicate of the listening socket
    and its own ``GreenPool``.  A reload starts a new generation, then drains
    the old one: both accept for an instant, so no connection waits.
    """

    def __init__(self, app: Callable, listener: socket.socket, settings: ServerSettings) -> None:
        # A bad certificate raises here, before anything is started.
        context = tls_context(settings) if settings.cert_file else None
        self.settings = settings
        self.draining = False
        self.pool = eventlet.GreenPool(settings.pool_size)
        self.protocol = protocol_class(
            settings.max_header_line, settings.max_url_length, lambda: self.draining
        )
        self.sock = eventlet.greenio.GreenSocket(listener.dup())
        listening = context.wrap_socket(self.sock, server_side=True) if context else self.sock
        self.acceptor = Acceptor(listening)
        self.thread = eventlet.spawn(
            eventlet.wsgi.server,
            self.acceptor,
            Guard(app),  # URLs checked, responses written only as valid HTTP (stackapi/guard.py)
            custom_pool=self.pool,
            protocol=self.protocol,
            log=logging.getLogger("stackapi.wsgi"),
            log_format=_ACCESS_FORMAT,
            # X-Forwarded-For is the client's to forge; http_proxy_to_wsgi knows whom to trust.
            log_x_forwarded_for=False,
            debug=False,  # never a traceback in a response body
            socket_timeout=settings.client_socket_timeout or None,
            keepalive=settings.keepalive_timeout if settings.keepalive else False,
            url_length_limit=settings.max_url_length + _REQUEST_LINE_SLACK,
            # eventlet does not set it; webob reads chunked bodies only when it is.
            environ={"wsgi.input_terminated": True},
        )
        eventlet.sleep(0)  # let it reach accept(), so that drain() finds it there

    def drain(self) -> None:
        """Stop accepting now; eventlet then closes idle keep-alive connections and
        waits for the requests in flight (whose responses say ``Connection: close``).

        A client that connected just before has ``FIRST_REQUEST_GRACE`` seconds
        to send its request, which is then served; after that it is closed.
        """
        if self.draining:
            return
        self.draining = True
        self.thread.kill(StopAccepting())  # eventlet.wsgi.server leaves its accept loop
        self.sock.close()  # this generation's duplicate of the listening socket
        eventlet.spawn_after(FIRST_REQUEST_GRACE, self._close_silent)

    def _close_silent(self) -> None:
        for connection in list(self.protocol.live):
            connection.close_if_silent()

    @property
    def done(self) -> bool:
        return self.thread.dead

    def running(self) -> int:
        return self.pool.running()


class Server:
    """The main loop of one serving process: signals in, generations out.

    ::

        server = Server(sock, settings, reload=load_again)
        exit_code = server.serve(app)

    Signal handlers only record the signal; the loop acts on it:

    - SIGTERM/SIGINT: stop accepting, drain (bounded by
      ``graceful_shutdown_timeout``, 0 = no bound), exit code 0.  A second
      one while draining: exit at once with ``128 + signal number``.
    - SIGHUP: ``reload()`` builds the new app and settings; on success a new
      generation serves them and the old one drains; on failure one ERROR
      line and the old app goes on.  Without ``reload`` (a worker) SIGHUP is
      logged and ignored: the parent replaces workers.

    A worker passes ``parent_pid``: when its parent is gone it drains and exits.
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
        self.current: Generation | None = None
        self.old: list[Generation] = []

    def serve(self, app: Callable) -> int:
        for signum in (*_STOP_SIGNALS, signal.SIGHUP):
            signal.signal(signum, self._record)
        self.current = Generation(app, self.listener, self.settings)
        while True:
            eventlet.sleep(_POLL_SECONDS)
            signum = self.received.pop(0) if self.received else None
            if signum in _STOP_SIGNALS:
                return self.stop(signal.Signals(signum).name)
            if self.parent_pid is not None and os.getppid() != self.parent_pid:
                return self.stop(f"parent {self.parent_pid} gone")
            if signum == signal.SIGHUP:
                self.hangup()
            if self.current.done:
                LOG.error("the accept loop stopped unexpectedly (see above); exiting")
                return 1
            self.old = [g for g in self.old if not g.done]

    def _record(self, signum: int, frame: object) -> None:
        self.received.append(signum)  # only record: the loop acts

    def hangup(self) -> None:
        if self.reload is None:
            LOG.info("SIGHUP ignored by worker %d: send it to the parent process", os.getpid())
            return
        try:
            app, settings = self.reload()
            self.settings.carry_restart_only(settings, (*RESTART_ONLY, "workers"))
            generation = Generation(app, self.listener, settings)
        except StackapiError as exc:
            LOG.error("reload failed, still serving the previous configuration: %s", exc)
            return
        previous, self.current, self.settings = self.current, generation, settings
        previous.drain()
        self.old.append(previous)
        LOG.info(
            "reloaded: new requests go to the new app; %d request(s) finishing on the old one",
            previous.running(),
        )

    def stop(self, reason: str) -> int:
        """Stop accepting at once, drain; a second SIGTERM/SIGINT cuts it short."""
        generations = [g for g in (self.current, *self.old) if g is not None]
        LOG.info(
            "%s: stopped accepting; draining %d request(s) in flight",
            reason,
            sum(g.running() for g in generations),
        )
        for generation in generations:
            generation.drain()
        if self.parent_pid is None:
            close_listener(self.listener, self.settings)
        else:
            self.listener.close()  # this worker's copy; the parent owns the socket file
        timeout = self.settings.graceful_shutdown_timeout
        deadline = time.monotonic() + timeout if timeout else None
        while not all(g.done for g in generations):
            if any(s in _STOP_SIGNALS for s in self.received):
                signum = next(s for s in self.received if s in _STOP_SIGNALS)
                return self._exit_now(signal.Signals(signum), generations)
            if deadline is not None and time.monotonic() > deadline:
                LOG.warning(
                    "graceful_shutdown_timeout (%ss) passed with %d request(s) unfinished",
                    timeout,
                    sum(g.running() for g in generations),
                )
                return 0
            eventlet.sleep(_POLL_SECONDS)
        LOG.info("stopped")
        return 0

    def _exit_now(self, signum: signal.Signals, generations: list[Generation]) -> int:
        LOG.warning(
            "second %s: exiting now, %d request(s) cut off",
            signum.name,
            sum(g.running() for g in generations),
        )
        return 128 + int(signum)
