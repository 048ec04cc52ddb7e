"""The eventlet WSGI server: the only module of stackapi that imports eventlet.

``cli`` calls :func:`patch` before it loads the app, then :func:`listen` and
:func:`serve`.  Limits are passed to this server instance; eventlet's module
globals are never changed.
"""

from __future__ import annotations

import logging
import signal
import socket
from collections.abc import Callable

import eventlet
import eventlet.wsgi

from stackapi.errors import StackapiError
from stackapi.guard import Guard
from stackapi.settings import ServerSettings

LOG = logging.getLogger("stackapi.server")
_POLL_SECONDS = 0.1  # how often the main loop looks at recorded signals


def patch() -> None:
    """Monkey-patch the standard library (before the app and its imports load)."""
    eventlet.monkey_patch()


def listen(settings: ServerSettings) -> socket.socket:
    """Bind the listening socket; a busy port or a bad address is one StackapiError line."""
    if settings.unix_socket:
        family, address = socket.AF_UNIX, settings.unix_socket
    else:
        try:
            info = socket.getaddrinfo(settings.host, settings.port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise StackapiError(f"cannot resolve host {settings.host!r}: {exc.strerror}") from exc
        family, _, _, _, address = info[0]
    try:
        sock = eventlet.listen(address, family=family, backlog=settings.backlog)
    except OSError as exc:
        raise StackapiError(
            f"cannot listen on {describe_address(address)}: {exc.strerror}"
        ) from exc
    LOG.info("listening on %s", url_of(sock))
    return sock


def describe_address(address: object) -> str:
    if isinstance(address, tuple):
        host, port = address[0], address[1]
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return str(address)


def url_of(sock: socket.socket) -> str:
    """``http://127.0.0.1:8774`` (what the "listening on" log line says)."""
    name = sock.getsockname()
    if isinstance(name, tuple):
        return f"http://{describe_address(name)}"
    return f"unix:{name}"


def serve(app: Callable, sock: socket.socket, settings: ServerSettings) -> int:
    """Serve ``app`` on ``sock`` until SIGTERM or SIGINT; returns the exit code.

    Requests run on a ``GreenPool(settings.pool_size)``; when it is full the
    accept loop waits, and further connections queue in the kernel backlog.
    On SIGTERM/SIGINT the socket stops accepting at once, requests in flight
    finish (up to ``graceful_shutdown_timeout``), and the call returns 0.
    """
    pool = eventlet.GreenPool(settings.pool_size)
    app = Guard(app)  # URLs checked, responses written only as valid HTTP (stackapi/guard.py)
    server = eventlet.spawn(
        eventlet.wsgi.server,
        sock,
        app,
        custom_pool=pool,
        log=logging.getLogger("stackapi.wsgi"),
        debug=False,
        socket_timeout=settings.client_socket_timeout or None,
        keepalive=settings.keepalive_timeout if settings.keepalive else False,
        url_length_limit=settings.max_url_length,
        # eventlet does not set it; webob reads chunked bodies only when it is.
        environ={"wsgi.input_terminated": True},
    )
    received: list[int] = []

    def record(signum: int, frame: object) -> None:
        received.append(signum)  # only record; the loop below acts

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, record)
    while not received and not server.dead:
        eventlet.sleep(_POLL_SECONDS)
    if received:
        LOG.info(
            "%s received: draining %d request(s) in flight",
            signal.Signals(received[0]).name,
            pool.running(),
        )
    server.kill(SystemExit)  # leaves the accept loop; eventlet then waits for the pool
    sock.close()
    try:
        with eventlet.Timeout(settings.graceful_shutdown_timeout or None):
            server.wait()
    except eventlet.Timeout:
        LOG.warning(
            "graceful_shutdown_timeout (%ss) passed with %d request(s) unfinished",
            settings.graceful_shutdown_timeout,
            pool.running(),
        )
    except SystemExit:
        pass
    LOG.info("stopped")
    return 0
