"""http_proxy_to_wsgi: believe a reverse proxy's ``X-Forwarded-*`` (or ``Forwarded``) headers.

Only when the connection comes from one of ``trusted_proxies``, and only the
one family of headers that proxy sets (``proxy_headers``): any client can send
either family, and a proxy overwrites only its own.  The scheme, host, client
address and path prefix it reports replace the environ's, so links, logs and
redirects show what the client used.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable

from stackapi.middleware import Middleware
from stackapi.options import Option, as_networks, in_networks

_HOST = re.compile(r"[A-Za-z0-9._~%!$&'()*+,;=:\[\]-]{1,255}\Z")
_PREFIX = re.compile(r"/[A-Za-z0-9._~%!$&'()*+,;=:@/-]*\Z")
_SCHEMES = frozenset({"http", "https"})
#: The environ keys each ``proxy_headers`` value reads; the other family is never read.
FAMILIES = {
    "x-forwarded": (
        "HTTP_X_FORWARDED_FOR",
        "HTTP_X_FORWARDED_PROTO",
        "HTTP_X_FORWARDED_HOST",
        "HTTP_X_FORWARDED_PREFIX",
    ),
    "forwarded": ("HTTP_FORWARDED",),
}


def as_family(value: str) -> str:
    family = str(value).strip().lower()
    if family not in FAMILIES:
        raise ValueError(f"expected one of {', '.join(FAMILIES)}")
    return family


def parse_forwarded(header: str) -> list[dict[str, str]]:
    """RFC 7239 ``Forwarded`` -> one dict per element, keys lower-cased, quotes removed.

    Malformed pairs are skipped; the syntax is lenient on purpose, the values
    are checked where they are used.
    """
    elements = []
    for element in header.split(","):
        pairs = {}
        for pair in element.split(";"):
            key, equals, value = pair.partition("=")
            if equals:
                pairs[key.strip().lower()] = value.strip().strip('"')
        elements.append(pairs)
    return elements


def node_address(node: str) -> str | None:
    """The IP of a ``for=`` node (``"[2001:db8::1]:4711"``, ``"192.0.2.1:80"``), else None."""
    node = node.strip().strip('"')
    if node.startswith("["):
        node = node[1:].partition("]")[0]
    elif node.count(":") == 1:
        node = node.partition(":")[0]
    try:
        return str(ipaddress.ip_address(node))
    except ValueError:
        return None  # "unknown", an obfuscated "_id", garbage


class HttpProxyToWsgiMiddleware(Middleware):
    """Apply the proxy's view of the request -- only for ``trusted_proxies``.

    ::

        [filter:http_proxy_to_wsgi]
        use = egg:stackapi#http_proxy_to_wsgi
        trusted_proxies = 10.0.0.5, 192.168.10.0/24
        proxy_headers = x-forwarded

    When ``REMOTE_ADDR`` is in ``trusted_proxies`` (addresses or networks;
    default: none, so the filter changes nothing), the headers of one family:

    - ``proxy_headers = x-forwarded`` (default: what nginx, HAProxy and most
      load balancers set): ``X-Forwarded-For`` (walked from the right, see
      below) -> ``REMOTE_ADDR``, ``X-Forwarded-Proto`` (``http``/``https``) ->
      ``wsgi.url_scheme``, ``X-Forwarded-Host`` -> ``HTTP_HOST`` (the last
      value of each: the one the nearest proxy wrote), ``X-Forwarded-Prefix:
      /api`` in front of ``SCRIPT_NAME``.  ``Forwarded`` is never read.
    - ``proxy_headers = forwarded``: RFC 7239 ``Forwarded`` only, its element
      reached by the same walk giving ``proto=``, ``host=`` and ``for=``;
      ``X-Forwarded-*`` are never read.

    Why one family: a client can send both, and a proxy overwrites (or
    appends to) only the headers it sets; the others reach us as the client
    wrote them.  Reading the family the proxy sets, and configuring the
    proxy to overwrite every header of it (etc/nginx-stackapi.conf), means
    no value of the client's own choosing is believed.  The walk: from the
    last address (appended by the proxy that connected to us) towards the
    first, past addresses of other trusted proxies; the first untrusted one
    is the client.  Addresses to its left were written by the client and are
    never used.

    Values that are not a scheme, host, address or path are ignored.  From
    any other ``REMOTE_ADDR`` all of these headers are ignored.  The proxy's
    own address is kept in ``environ["stackapi.proxy_addr"]``.
    """

    options = (
        Option(
            "trusted_proxies",
            as_networks,
            (),
            "addresses/networks of the proxies whose headers are believed",
        ),
        Option(
            "proxy_headers",
            as_family,
            "x-forwarded",
            "the headers those proxies set: x-forwarded (X-Forwarded-*) or forwarded (RFC 7239)",
        ),
    )

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if self.trusted_proxies and any(name in environ for name in FAMILIES[self.proxy_headers]):
            if self.is_trusted(environ.get("REMOTE_ADDR")):
                self.apply(environ)
        return self.next_app(environ, start_response)

    def is_trusted(self, address: str | None) -> bool:
        return in_networks(address, self.trusted_proxies)

    def apply(self, environ: dict) -> None:
        """Rewrite ``environ`` from the headers of a trusted proxy."""
        prefix = None
        if self.proxy_headers == "forwarded":
            forwarded = environ.get("HTTP_FORWARDED", "")
            element = self._origin(parse_forwarded(forwarded), lambda e: e.get("for", ""))
            proto, host, client = element.get("proto"), element.get("host"), element.get("for")
        else:
            chain = [{"for": node} for node in environ.get("HTTP_X_FORWARDED_FOR", "").split(",")]
            client = self._origin(chain, lambda e: e["for"]).get("for")
            proto = _last(environ.get("HTTP_X_FORWARDED_PROTO"))
            host = _last(environ.get("HTTP_X_FORWARDED_HOST"))
            prefix = (environ.get("HTTP_X_FORWARDED_PREFIX") or "").strip().rstrip("/")
        if proto and proto.lower() in _SCHEMES:
            environ["wsgi.url_scheme"] = proto.lower()
        if host and _HOST.match(host):
            environ["HTTP_HOST"] = host
        address = node_address(client) if client else None
        if address:
            environ["stackapi.proxy_addr"] = environ.get("REMOTE_ADDR")
            environ["REMOTE_ADDR"] = address
        if prefix and _PREFIX.match(prefix):
            environ["SCRIPT_NAME"] = prefix + environ.get("SCRIPT_NAME", "")

    def _origin(self, elements: list[dict], node_of: Callable) -> dict:
        """The element added by the outermost trusted proxy (the one that met the client)."""
        for element in reversed(elements):
            address = node_address(node_of(element))
            if address is None or not self.is_trusted(address):
                return element
        return elements[0] if elements else {}


def _last(header: str | None) -> str | None:
    """The value the nearest proxy appended: ``"https, http"`` -> ``"http"``."""
    if not header:
        return None
    return header.rsplit(",", 1)[-1].strip() or None
