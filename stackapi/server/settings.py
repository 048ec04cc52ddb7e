"""ServerSettings: every server option, from ``[server:main]`` and then from flags.

One table (:data:`SERVER_OPTIONS`) names each option, its converter, its
default and a help line; the ini and the command line both go through it, and
the connection loop receives the whole object.  Adding a limit means one row
here and one place that enforces it.  No eventlet here: ``--check`` reads it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from stackapi.errors import ConfigError
from stackapi.options import (
    Option,
    as_bool,
    as_int,
    as_non_negative_float,
    as_positive_int,
    as_str,
    parse_options,
)


def _port(value: str) -> int:
    port = as_int(value)
    if not 0 <= port <= 65535:
        raise ValueError("expected a port number 0-65535")
    return port


def _optional_path(value: str) -> str | None:
    return as_str(value) or None


def _header_line(value: str) -> int:
    length = as_positive_int(value)
    if length > 65536:  # max_total_header_size caps the whole head at 64 KiB anyway
        raise ValueError("expected at most 65536")
    return length


SERVER_OPTIONS: tuple[Option, ...] = (
    # Loopback by default: exposing the API is a decision the operator writes down.
    Option("host", as_str, "127.0.0.1", "address to bind (IPv4, IPv6 literal or name)"),
    Option("port", _port, 8080, "TCP port; 0 binds a free port and logs which"),
    # One process unless asked: the raw CPU count is wrong in containers and on big hosts.
    Option("workers", as_positive_int, 1, "processes sharing the socket (1 = no fork)"),
    Option("pool_size", as_positive_int, 1000, "requests in flight per process (green threads)"),
    # Connections cost a socket and a parked green thread, not a request slot: many more.
    Option(
        "max_connections",
        as_positive_int,
        10000,
        "open connections per process; at the cap the oldest idle ones are closed first",
    ),
    # Above the usual net.core.somaxconn; the kernel caps it.
    Option("backlog", as_positive_int, 4096, "listen() backlog: connections queued by the kernel"),
    # nginx's names and defaults, but totals: a client trickling bytes cannot extend them.
    Option(
        "client_header_timeout",
        as_non_negative_float,
        60.0,
        "seconds for a request's whole head to arrive, from its first byte (0 = no limit)",
    ),
    Option(
        "client_body_timeout",
        as_non_negative_float,
        60.0,
        "seconds for a request's whole body to arrive, from its head (0 = no limit)",
    ),
    # Finite so that a client that stops reading or sending cannot hold a connection for ever.
    Option(
        "client_socket_timeout",
        as_non_negative_float,
        60.0,
        "seconds any one read or write may wait for the client (0 = no limit)",
    ),
    Option("keepalive", as_bool, True, "allow HTTP keep-alive connections"),
    Option(
        "keepalive_timeout",
        as_non_negative_float,
        30.0,
        "seconds an idle keep-alive connection waits for a request (0 = close after each)",
    ),
    # nova's max_header_line default; Keystone tokens with many roles exceed 8192.
    Option(
        "max_header_line", _header_line, 16384, "longest request header line, bytes (400 beyond)"
    ),
    Option("max_url_length", as_positive_int, 8192, "longest request URL, bytes (414 beyond)"),
    # %2F decoded into PATH_INFO is a "/" a proxy matching raw path prefixes never saw.
    Option(
        "allow_encoded_slashes",
        as_bool,
        False,
        "let %2F through in request paths (default: 400)",
    ),
    Option(
        "graceful_shutdown_timeout",
        as_non_negative_float,
        60.0,
        "seconds requests in flight may take to finish after SIGTERM (0 = no limit)",
    ),
    Option("cert_file", _optional_path, None, "TLS certificate (PEM); enables HTTPS"),
    Option("key_file", _optional_path, None, "TLS private key (PEM)"),
    Option("unix_socket", _optional_path, None, "listen on this Unix socket instead of host:port"),
)

DEFAULTS = {option.name: option.default for option in SERVER_OPTIONS}

#: Options that only a restart applies: they decide the listening socket, which
#: a reload (SIGHUP) keeps.  Everything else applies to the next requests.
RESTART_ONLY = ("host", "port", "unix_socket", "backlog")
LOG = logging.getLogger("stackapi.server")


class ServerSettings:
    """The server's settings: defaults < ``[server:main]`` < flags.

    >>> s = ServerSettings.from_sources({"port": "8774"}, {"port": None, "workers": "2"})
    >>> (s.port, s.workers, s.pool_size)
    (8774, 2, 1000)

    A flag left at ``None`` means "not given".  An unknown key or a bad value
    is a :class:`ConfigError` naming the file, ``[server:main]`` and the key
    (or the flag).
    """

    host: str
    port: int
    workers: int
    pool_size: int
    max_connections: int
    backlog: int
    client_header_timeout: float
    client_body_timeout: float
    client_socket_timeout: float
    keepalive: bool
    keepalive_timeout: float
    max_header_line: int
    max_url_length: int
    allow_encoded_slashes: bool
    graceful_shutdown_timeout: float
    cert_file: str | None
    key_file: str | None
    unix_socket: str | None

    def __init__(self, **values: Any) -> None:
        for name, default in DEFAULTS.items():
            setattr(self, name, values.get(name, default))
        self.path: str | None = None  # the ini the values came from
        self.flags: frozenset[str] = frozenset()  # the options given as flags

    def error(self, name: str, reason: str) -> ConfigError:
        """A ConfigError about option ``name`` where the operator set it: its flag, or the
        ini's ``[server:main]`` key."""
        if name in self.flags:
            return ConfigError(reason, key="--" + name.replace("_", "-"))
        return ConfigError(reason, path=self.path, section="server:main", key=name)

    @classmethod
    def from_sources(
        cls,
        file_conf: Mapping[str, str],
        flags: Mapping[str, Any] | None = None,
        path: str | None = None,
        section: str = "server:main",
    ) -> ServerSettings:
        try:
            values = parse_options(SERVER_OPTIONS, file_conf)
        except ConfigError as exc:
            raise exc.located(path, section) from exc
        given = {k: v for k, v in (flags or {}).items() if v is not None}
        try:
            values.update(
                {k: v for k, v in parse_options(SERVER_OPTIONS, given).items() if k in given}
            )
        except ConfigError as exc:
            raise ConfigError(exc.reason, key="--" + (exc.key or "").replace("_", "-")) from exc
        settings = cls(**values)
        settings.path, settings.flags = path, frozenset(given)
        settings.check()
        return settings

    def check(self) -> None:
        """Cross-checks between options, worded as sentences."""
        if bool(self.cert_file) != bool(self.key_file):
            missing = "cert_file" if not self.cert_file else "key_file"
            other = "key_file" if missing == "cert_file" else "cert_file"
            name = other if other in self.flags else missing
            raise self.error(name, "cert_file and key_file go together: set both or neither")

    def carry_restart_only(
        self, new: ServerSettings, names: Iterable[str] = RESTART_ONLY
    ) -> list[str]:
        """Put this running server's values of ``names`` back into ``new`` (a reload).

        Those options (the listening socket's, :data:`RESTART_ONLY`) cannot change
        without a restart: each one that differs is one WARNING saying so.
        Returns their names.
        """
        changed = [name for name in names if getattr(self, name) != getattr(new, name)]
        for name in changed:
            LOG.warning(
                "%s changed from %r to %r: restart stackapi-server to apply it",
                name,
                getattr(self, name),
                getattr(new, name),
            )
            setattr(new, name, getattr(self, name))
        return changed

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in DEFAULTS}

    def __repr__(self) -> str:
        return f"ServerSettings({self.as_dict()!r})"
