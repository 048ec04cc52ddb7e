"""cors: Cross-Origin Resource Sharing headers for browsers on other origins.

Preflights (``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``)
are answered here and never reach the app; other requests from an allowed
origin get the CORS headers added to their response; a disallowed origin gets none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import webob

from stackapi.faults import fault_response
from stackapi.middleware import Middleware
from stackapi.options import Option, as_bool, as_int, as_list

DEFAULT_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
# Headers a browser may send without asking (CORS-safelisted) need no listing.
DEFAULT_HEADERS = ("Content-Type", "X-Auth-Token", "X-OpenStack-Request-ID", "X-Roles")
DEFAULT_EXPOSE = ("X-OpenStack-Request-ID", "Location")


def _as_origins(value: str) -> list[str]:
    origins = [origin.rstrip("/").lower() for origin in as_list(value)]
    for origin in origins:
        if origin != "*" and "://" not in origin:
            raise ValueError(f"{origin!r} is not an origin like https://example.com")
    return origins


def _as_methods(value: str) -> list[str]:
    return [method.upper() for method in as_list(value)]


def _as_max_age(value: str) -> int | None:
    if not str(value).strip():
        return None  # "max_age =": no Access-Control-Max-Age (the browser's own default)
    seconds = as_int(value)
    if seconds < 0:
        raise ValueError("expected a number of seconds >= 0")
    return seconds


def _vary_origin(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``headers`` with ``Origin`` added to ``Vary`` (merged with the app's)."""
    for index, (name, value) in enumerate(headers):
        if name.lower() == "vary":
            if "origin" not in value.lower():
                headers[index] = (name, f"{value}, Origin")
            return headers
    headers.append(("Vary", "Origin"))
    return headers


class CorsMiddleware(Middleware):
    """Let browser code on ``allowed_origin`` call the API.

    ::

        [filter:cors]
        use = egg:stackapi#cors
        allowed_origin = https://dashboard.example.com, http://localhost:8080
        allow_methods = GET, HEAD, POST, PUT, PATCH, DELETE
        allow_headers = Content-Type, X-Auth-Token, X-OpenStack-Request-ID, X-Roles
        expose_headers = X-OpenStack-Request-ID, Location
        max_age = 3600
        allow_credentials = false

    ``allow_headers`` replaces the default list: keep ``Content-Type`` in it, or a
    browser's JSON request (``Content-Type: application/json`` needs a preflight)
    is refused.  ``max_age =`` (empty) sends no ``Access-Control-Max-Age``.

    ``allowed_origin`` (default: none, so nothing is allowed) may be ``*``
    (any origin; with ``allow_credentials`` the caller's origin is echoed,
    as browsers refuse ``*`` with credentials).  A request with an allowed
    ``Origin`` gets ``Access-Control-Allow-Origin``, ``-Expose-Headers`` and
    (if ``allow_credentials``) ``-Allow-Credentials: true``.  A preflight is
    answered 200 with ``-Allow-Methods``, ``-Allow-Headers``, ``-Max-Age``;
    a preflight from a disallowed origin, or asking for a method or header
    not allowed, is a 403 forbidden fault without CORS headers.  Responses
    to requests with an ``Origin`` carry ``Vary: Origin``.  Place it before
    the auth filter: preflights carry no token.
    """

    options = (
        Option("allowed_origin", _as_origins, [], "origins allowed (or *)"),
        Option("allow_methods", _as_methods, list(DEFAULT_METHODS), "methods allowed"),
        Option("allow_headers", as_list, list(DEFAULT_HEADERS), "request headers allowed"),
        Option("expose_headers", as_list, list(DEFAULT_EXPOSE), "response headers JS may read"),
        Option(
            "max_age", _as_max_age, 3600, "seconds a browser may cache a preflight (empty: none)"
        ),
        Option("allow_credentials", as_bool, False, "allow cookies/credentials"),
    )

    def __init__(self, app: Callable, **conf: str) -> None:
        super().__init__(app, **conf)
        self._origins = frozenset(o for o in self.allowed_origin if o != "*")
        self._any_origin = "*" in self.allowed_origin
        self._headers = {header.lower() for header in self.allow_headers}

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        origin = environ.get("HTTP_ORIGIN")
        if origin is None:
            return self.next_app(environ, start_response)
        method = environ["REQUEST_METHOD"]
        if method == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ:
            return self.preflight(environ, origin)(environ, start_response)
        added = self.response_headers(origin)

        def start_response_with_cors(status, headers, exc_info=None):
            headers = [h for h in headers if not h[0].lower().startswith("access-control-")]
            headers.extend(added)
            return start_response(status, _vary_origin(headers), exc_info)

        return self.next_app(environ, start_response_with_cors)

    def answer_outside(self, environ: dict, response: webob.Response) -> webob.Response:
        """The Guard's own answers get the CORS headers too (a browser can read its 400s).

        A preflight never reaches an app, so it is answered as usual, even for a URL
        the Guard refuses: the request that follows then gets the readable 400.
        """
        origin = environ.get("HTTP_ORIGIN")
        if origin is None:
            return response
        if environ["REQUEST_METHOD"] == "OPTIONS" and (
            "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ
        ):
            return self.preflight(environ, origin)
        for name, value in self.response_headers(origin):
            response.headers[name] = value
        response.headerlist = _vary_origin(list(response.headerlist))
        return response

    def is_allowed(self, origin: str) -> bool:
        return self._any_origin or origin.lower() in self._origins

    def response_headers(self, origin: str) -> list[tuple[str, str]]:
        """The CORS headers of an actual (non-preflight) response to ``origin``."""
        if not self.is_allowed(origin):
            return []
        headers = [("Access-Control-Allow-Origin", self._allow_origin_value(origin))]
        if self.allow_credentials:
            headers.append(("Access-Control-Allow-Credentials", "true"))
        if self.expose_headers:
            headers.append(("Access-Control-Expose-Headers", ", ".join(self.expose_headers)))
        return headers

    def preflight(self, environ: dict, origin: str) -> webob.Response:
        """The answer to a preflight: 200 with the CORS headers, or a 403 fault."""
        method = environ["HTTP_ACCESS_CONTROL_REQUEST_METHOD"].strip().upper()
        asked = as_list(environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS", ""))
        refused = [h for h in asked if h.lower() not in self._headers]
        if not self.is_allowed(origin):
            reason = f"Origin {origin} is not allowed."
        elif method not in self.allow_methods:
            reason = f"Method {method} is not allowed."
        elif refused:
            reason = f"Header {refused[0]} is not allowed."
        else:
            return self._preflight_ok(origin, asked)
        return fault_response(403, f"CORS preflight refused: {reason}", [("Vary", "Origin")])

    def _preflight_ok(self, origin: str, asked: list[str]) -> webob.Response:
        resp = webob.Response(status=200, body=b"", content_type=None, charset=None)
        del resp.headers["Content-Type"]  # webob's text/html default, for an empty body
        for name, value in self.response_headers(origin):
            resp.headers[name] = value
        resp.headers["Access-Control-Allow-Methods"] = ", ".join(self.allow_methods)
        if asked:
            resp.headers["Access-Control-Allow-Headers"] = ", ".join(asked)
        if self.max_age is not None:
            resp.headers["Access-Control-Max-Age"] = str(self.max_age)
        resp.headers["Vary"] = "Origin"
        return resp

    def _allow_origin_value(self, origin: str) -> str:
        if self._any_origin and not self.allow_credentials and origin.lower() not in self._origins:
            return "*"
        return origin
