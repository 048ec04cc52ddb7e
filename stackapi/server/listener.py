"""listener: the listening socket (TCP, IPv6 or Unix), its TLS context and the fd budget.

A plain (not green) socket, bound once: by the single process, or by the
``--workers`` parent before it forks.  TLS comes from eventlet's green ssl module.
"""

from __future__ import annotations

import logging
import os
import resource
import socket
import stat

from eventlet.green import ssl as green_ssl

from stackapi.errors import StackapiError
from stackapi.server.settings import ServerSettings

LOG = logging.getLogger("stackapi.server")
#: File descriptors kept for everything but client connections: the listener, log
#: files, a database pool, the app's own files.
FD_RESERVE = 64


def listen(settings: ServerSettings) -> socket.socket:
    """Bind and listen; a busy port or a bad address is one StackapiError line.

    No ``SO_REUSEPORT``: a second server on the same port fails instead of
    silently sharing it.  A bad certificate fails here, before anything is served.
    """
    if settings.cert_file:
        tls_context(settings)
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
    """The server's TLS context; an unreadable or bad cert/key is a ConfigError naming
    where the operator set it (the flag, or ``[server:main]``)."""
    context = green_ssl.GreenSSLContext(green_ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(settings.cert_file, settings.key_file)
    except (OSError, green_ssl.SSLError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        message = f"cannot load {settings.cert_file} and {settings.key_file}: {reason}"
        raise settings.error("cert_file", message) from exc
    return context


def url_of(sock: socket.socket, settings: ServerSettings) -> str:
    """``http://127.0.0.1:8774`` (what the "listening on" log line says)."""
    name = sock.getsockname()
    if isinstance(name, tuple):
        scheme = "https" if settings.cert_file else "http"
        return f"{scheme}://{describe_address(name)}"
    return f"unix:{name}"


def describe_address(address: object) -> str:
    """``127.0.0.1:8774``, ``[::1]:8774`` or a Unix socket's path, for log lines."""
    if isinstance(address, tuple):
        host, port = address[0], address[1]
        return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"
    return str(address) or "unix socket client"


def fit_connection_cap(settings: ServerSettings) -> int:
    """Raise the soft open-files limit toward the hard one; the connection cap that fits.

    Each connection is one descriptor.  Where even the hard limit leaves less
    than ``max_connections`` (+ :data:`FD_RESERVE`), the cap is lowered for this
    process with one WARNING line, so that accept never runs into EMFILE in the
    normal course.
    """
    wanted = settings.max_connections + FD_RESERVE
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return settings.max_connections
    cap = max(1, soft - FD_RESERVE)
    LOG.warning(
        "max_connections lowered from %d to %d: the open-files limit is %d "
        "(raise it with ulimit -n or LimitNOFILE=)",
        settings.max_connections,
        cap,
        soft,
    )
    return cap
