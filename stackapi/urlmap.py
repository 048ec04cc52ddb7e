"""urlmap: the first routing step, URL prefix (and Host) -> app.

The ``paste.composite_factory`` behind ``use = egg:stackapi#urlmap``.  It loads
its apps through PasteDeploy's loader, wraps itself in the Guard, and imports
nothing of the server.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from stackapi.errors import ConfigError
from stackapi.faults import fault_response
from stackapi.guard import Guard
from stackapi.middleware import direct_call
from stackapi.request_ids import new_request_id
from stackapi.server_timing import build_app

WSGIApp = Callable[..., Iterable[bytes]]
#: Options of the section that are not prefixes.
_RESERVED = frozenset({"use"})


class URLMap:
    """WSGI app: dispatch on the longest matching URL prefix.

    ``entries`` are ``(host, prefix, app)``; ``host`` None matches any Host.
    The matched prefix moves from ``PATH_INFO`` to ``SCRIPT_NAME`` (so links an
    app builds from ``req.application_url`` include it).  A prefix matches at a
    segment boundary: ``/v1`` matches ``/v1`` and ``/v1/x``, not ``/v10``.
    Among the matches the longest prefix wins; on a tie, a host entry beats a
    host-less one.  Nothing matched -> 404 itemNotFound (with its own request id,
    since no ``request_id`` filter ran).
    """

    def __init__(self, entries: Iterable[tuple[str | None, str, WSGIApp]]) -> None:
        # Longest prefix first, host entries before host-less ones of equal length.
        self.entries = sorted(
            ((host, prefix, app) for host, prefix, app in entries),
            key=lambda e: (-len(e[1]), e[0] is None),
        )
        self._any_host = any(host for host, _, _ in self.entries)
        self._targets = [(host, prefix, direct_call(app)) for host, prefix, app in self.entries]

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        index = self._find(environ)
        if index is None:
            fault = fault_response(
                404,
                "The resource could not be found.",
                [("x-openstack-request-id", new_request_id())],
            )
            return fault(environ, start_response)
        _, prefix, app = self._targets[index]
        environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + prefix
        environ["PATH_INFO"] = environ.get("PATH_INFO", "")[len(prefix) :]
        return app(environ, start_response)

    def match(self, environ: dict) -> tuple[str | None, str, WSGIApp] | None:
        """The entry ``(host, prefix, app)`` a request goes to, or None (environ unchanged)."""
        index = self._find(environ)
        return None if index is None else self.entries[index]

    def _find(self, environ: dict) -> int | None:
        path = environ.get("PATH_INFO", "")
        host = _request_host(environ) if self._any_host else None
        for index, (entry_host, prefix, _) in enumerate(self.entries):
            if entry_host is not None and not _host_matches(entry_host, host, environ):
                continue
            if path == prefix or path.startswith(prefix + "/") or not prefix:
                return index
        return None


def parse_entry(key: str, value: str) -> tuple[str | None, str, str]:
    """One option of the section -> ``(host, prefix, app_name)``.

    ``/v1 = app``; ``domain:api.example.com/v1 = app`` (configparser hands that
    line over as key ``domain``, value ``api.example.com/v1 = app``); and
    ``domain api.example.com/v1 = app`` for more than one host entry per section.
    """
    host = None
    spec, app_name = key.strip(), value.strip()
    if spec == "domain" and "=" in value:  # "domain:host/prefix = app"
        spec, _, app_name = (part.strip() for part in value.partition("="))
        host, spec = _split_domain(spec, key)
    elif spec.startswith("domain "):
        host, spec = _split_domain(spec[len("domain ") :].strip(), key)
    if not spec.startswith("/"):
        raise ConfigError(
            f"expected a URL prefix such as '/v1' (or 'domain:host/v1'), got {key!r}", key=key
        )
    if not app_name:
        raise ConfigError("names no app", key=key)
    return host, spec.rstrip("/"), app_name


def _split_domain(spec: str, key: str) -> tuple[str, str]:
    """``api.example.com/v1`` -> ``("api.example.com", "/v1")``; no path means ``/``."""
    host, slash, path = spec.partition("/")
    if not host.strip():
        raise ConfigError("names an empty host", key=key)
    return host.strip().lower(), slash + path or "/"


def urlmap_factory(loader: Any, global_conf: dict, **local_conf: str) -> Guard:
    """``paste.composite_factory``: each option is ``prefix = app-name``.

    Returns the URLMap inside a :class:`~stackapi.guard.Guard`, so that every
    way of serving the ini (``gunicorn --paste`` and pserve included) has it;
    its pipelines are built by :func:`stackapi.server_timing.build_app`.
    """
    entries = []
    for key, value in local_conf.items():
        if key in _RESERVED:
            continue
        host, prefix, app_name = parse_entry(key, value)
        entries.append((host, prefix, build_app(loader, app_name, global_conf)))
    if not entries:
        raise ConfigError("urlmap needs at least one 'prefix = app' line")
    return Guard(URLMap(entries))


def _request_host(environ: dict) -> str:
    host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
    return host.lower()


def _split_host(host: str) -> tuple[str, str | None]:
    """``name:port`` -> (name, port); IPv6 literals keep their brackets."""
    if host.startswith("["):
        name, _, rest = host.partition("]")
        return name + "]", (rest[1:] or None) if rest.startswith(":") else None
    name, sep, port = host.rpartition(":")
    return (name, port) if sep else (host, None)


def _host_matches(entry_host: str, request_host: str | None, environ: dict) -> bool:
    """``api.example.com`` matches any port; ``api.example.com:8774`` only that port."""
    if not request_host:
        return False
    entry_name, entry_port = _split_host(entry_host)
    name, port = _split_host(request_host)
    if entry_port is None:
        return entry_name == name
    if port is None:
        port = "443" if environ.get("wsgi.url_scheme") == "https" else "80"
    return (entry_name, entry_port) == (name, port)
