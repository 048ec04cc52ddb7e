"""urlmap: the first routing step, URL prefix (and Host) -> app.

The ``paste.composite_factory`` behind ``use = egg:stackapi#urlmap``.  It loads
its apps through PasteDeploy's loader, wraps itself in the Guard, and imports
nothing of the server.
"""

from __future__ import annotations

import re
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
#: A prefix ending in this matches only paths with something after its slash (nova's).
WILDCARD = "/+"
#: Media types whose ``version=`` parameter picks an API version (nova's URLMap):
#: ``application/json`` and ``application/vnd.openstack.<service>+json``.
_VERSIONED_TYPE = re.compile(r"application/(json|vnd\.openstack\.[a-z0-9_-]+\+json)\Z")


class URLMap:
    """WSGI app: dispatch on the longest matching URL prefix, or on the version asked for.

    ``entries`` are ``(host, prefix, app)``; ``host`` None matches any Host.
    The matched prefix moves from ``PATH_INFO`` to ``SCRIPT_NAME`` (so links an
    app builds from ``req.application_url`` include it).  A prefix matches at a
    segment boundary: ``/v1`` matches ``/v1`` and ``/v1/x``, not ``/v10``.  A
    prefix written ``/v1/+`` (nova's wildcard) matches only ``/v1/<something>``,
    so ``/v1`` and ``/v1/`` can go to another app (a version document that
    needs no token).  Among the matches the longest prefix wins; on a tie, the
    wildcard entry, then a host entry beats a host-less one.

    A path that reaches no versioned prefix (only ``/`` or nothing) may name
    its version in a header, as nova's URLMap reads it: a request
    ``Content-Type`` of ``application/json;version=2.1``, else the ``Accept``
    entry of highest quality among ``application/json`` and
    ``application/vnd.openstack.<service>+json`` that has a ``version``.  The
    request then goes where ``/v2.1`` + its path would go, with ``/v2.1``
    added to ``SCRIPT_NAME`` and ``PATH_INFO`` unchanged.  A version with no
    prefix changes nothing: the path's own app answers (the versions app: 300
    Multiple Choices, as nova).

    Nothing matched -> 404 itemNotFound (with its own request id, since no
    ``request_id`` filter ran).
    """

    def __init__(self, entries: Iterable[tuple[str | None, str, WSGIApp]]) -> None:
        # Longest prefix first; wildcards, then host entries, before others of equal length.
        self.entries = sorted(
            ((host, prefix, app) for host, prefix, app in entries),
            key=lambda e: (-len(base_prefix(e[1])), not e[1].endswith(WILDCARD), e[0] is None),
        )
        self._any_host = any(host for host, _, _ in self.entries)
        self._targets = [
            (host, base_prefix(prefix), prefix.endswith(WILDCARD), direct_call(app))
            for host, prefix, app in self.entries
        ]

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        index = self._enter(environ)
        if index is None:
            fault = fault_response(
                404,
                "The resource could not be found.",
                [("x-openstack-request-id", new_request_id())],
            )
            return fault(environ, start_response)
        return self._targets[index][3](environ, start_response)

    def match(self, environ: dict) -> tuple[str | None, str, WSGIApp] | None:
        """The entry ``(host, prefix, app)`` a request goes to, or None (environ unchanged)."""
        found = self._find(environ)
        return None if found is None else self.entries[found[0]]

    def enter(self, environ: dict) -> tuple[str | None, str, WSGIApp] | None:
        """As :meth:`match`, with ``SCRIPT_NAME``/``PATH_INFO`` moved as a request's are."""
        index = self._enter(environ)
        return None if index is None else self.entries[index]

    def _enter(self, environ: dict) -> int | None:
        found = self._find(environ)
        if found is None:
            return None
        index, prefix, moved = found
        environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + prefix
        if moved:
            environ["PATH_INFO"] = environ.get("PATH_INFO", "")[len(prefix) :]
        return index

    def _find(self, environ: dict) -> tuple[int, str, bool] | None:
        """``(entry index, prefix for SCRIPT_NAME, whether it leaves PATH_INFO)``, or None."""
        path = environ.get("PATH_INFO", "")
        host = _request_host(environ) if self._any_host else None
        found = self._match(path, host, environ)
        if found is None or not self._targets[found][1]:
            # no versioned prefix: a version header may pick one (PATH_INFO stays)
            for version in requested_versions(environ):
                prefix = "/v" + version
                versioned = self._match(prefix + path, host, environ)
                if versioned is not None and self._targets[versioned][1] == prefix:
                    return versioned, prefix, False
        if found is None:
            return None
        return found, self._targets[found][1], True

    def _match(self, path: str, host: str | None, environ: dict) -> int | None:
        """The index of the longest entry matching ``path``, or None."""
        for index, (entry_host, prefix, wildcard, _) in enumerate(self._targets):
            if entry_host is not None and not _host_matches(entry_host, host, environ):
                continue
            if wildcard:
                if path.startswith(prefix + "/") and len(path) > len(prefix) + 1:
                    return index
            elif path == prefix or path.startswith(prefix + "/") or not prefix:
                return index
        return None


def requested_versions(environ: dict) -> list[str]:
    """Versions named by ``Content-Type``, then ``Accept`` (by quality), as nova reads them."""
    versions = []
    media, params = _media_type(environ.get("CONTENT_TYPE", ""))
    if "version" in params and _VERSIONED_TYPE.match(media):
        versions.append(params["version"])
    offers = []
    for position, item in enumerate(environ.get("HTTP_ACCEPT", "").split(",")):
        media, params = _media_type(item)
        if "version" not in params or not _VERSIONED_TYPE.match(media):
            continue
        try:
            quality = float(params.get("q", "1"))
        except ValueError:
            continue
        if quality > 0:
            offers.append((-quality, position, params["version"]))
    versions.extend(version for _, _, version in sorted(offers))
    return [v for v in versions if re.fullmatch(r"[0-9][0-9.]*", v)]


def _media_type(text: str) -> tuple[str, dict[str, str]]:
    """``application/json; version=2.1`` -> ``("application/json", {"version": "2.1"})``."""
    media, *pieces = text.split(";")
    params = {}
    for piece in pieces:
        name, _, value = piece.partition("=")
        params[name.strip().lower()] = value.strip().strip('"')
    return media.strip().lower(), params


def base_prefix(prefix: str) -> str:
    """``/v2.1/+`` -> ``/v2.1``: the part a wildcard entry moves to ``SCRIPT_NAME``."""
    return prefix[: -len(WILDCARD)] if prefix.endswith(WILDCARD) else prefix


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
    """``paste.composite_factory``: each option is ``prefix = app-name`` (``/v1/+`` too).

    Returns the URLMap inside a :class:`~stackapi.guard.Guard`, so that every
    way of serving the ini (``gunicorn --paste`` and pserve included) has it;
    its pipelines are built by :func:`stackapi.server_timing.build_app`.
    """
    entries = []
    given: dict[tuple[str | None, str], str] = {}  # (host, prefix) -> the key that gave it
    for key, value in local_conf.items():
        if key in _RESERVED:
            continue
        host, prefix, app_name = parse_entry(key, value)
        if (host, prefix) in given:  # "/v1" and "/v1/": only one could ever be reached
            where = f"{host or ''}{prefix or '/'}"
            raise ConfigError(
                f"prefix {where} is given twice (by {given[host, prefix]!r} too)", key=key
            )
        given[host, prefix] = key
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
