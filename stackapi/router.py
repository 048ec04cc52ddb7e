"""Router: the second routing step, URL path + method -> a WSGI app (usually a Resource).

Built on ``routes.middleware.RoutesMiddleware`` with ``use_method_override=False``:
a ``?_method=`` or a form field never changes the request method.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import routes
import routes.middleware

from stackapi.errors import ConfigError
from stackapi.faults import fault_response
from stackapi.microversion import Microversions, VersionedMethod
from stackapi.policy import ENVIRON_KEY as POLICY_KEY
from stackapi.policy import Policy
from stackapi.request import Request
from stackapi.route_index import RouteIndex
from stackapi.versions import VersionDocument, VersionInfo

#: The methods the 405 ``Allow`` header is computed from.
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


class Router:
    """WSGI app that routes with a ``routes.Mapper``.

    Subclass it and build the mapper in ``__init__``; ``factory`` makes it a
    ``paste.app_factory`` (the section's keys become keyword arguments)::

        class WidgetsRouter(stackapi.Router):
            def __init__(self, **conf):
                mapper = routes.Mapper()
                mapper.resource("widget", "widgets",
                                controller=stackapi.Resource(WidgetsController()),
                                member={"action": "POST"})
                super().__init__(mapper)

        [app:widgets]
        paste.app_factory = mymodule:WidgetsRouter.factory

    No route for the path -> 404 itemNotFound.  Routes for the path but not for
    the method -> 405 badMethod with ``Allow`` listing the methods that would
    match.  ``HEAD`` is served by the ``GET`` route.  A route whose Resource has
    no method for its action counts as absent (``POST /flavors`` on a read-only
    controller is a 405, not a 500).

    Keyword options, each off unless given (docs/api.md has the guide):

    ``microversions``  a :class:`~stackapi.microversion.Microversions`: every
                       request's ``OpenStack-API-Version`` is negotiated here
                       (``req.api_version``) and echoed on the response.
    ``version``        a :class:`~stackapi.versions.VersionInfo`: ``GET /`` of
                       this Router answers the version document (unless the
                       mapper routes ``/`` itself); its microversions are the
                       default of ``microversions``.
    ``policy``         a :class:`~stackapi.policy.Policy` for
                       ``stackapi.policy.enforce(req, ...)`` and ``@authorize``.
    ``extensions``     :class:`~stackapi.extensions.Extension` objects, each
                       attached to the Resource of the collection it names.
    """

    def __init__(
        self,
        mapper: routes.Mapper,
        *,
        microversions: Microversions | None = None,
        version: VersionInfo | None = None,
        policy: Policy | None = None,
        extensions: Iterable[Any] = (),
    ) -> None:
        if microversions is None and version is not None:
            microversions = version.microversions
        if version is not None and not any(r.routepath in ("", "/") for r in mapper.matchlist):
            document = VersionDocument(version, microversions)
            mapper.connect("/", controller=document, conditions={"method": ["GET"]})
        for route in mapper.matchlist:
            _check_target(route, microversions)
        for extension in extensions:
            _check_extension(extension)
            resource = _resource_named(mapper, extension.collection)
            if microversions is None and resource.microversions is None:
                _refuse_versioned(extension)
            resource.register_extension(extension)
        self.mapper = mapper
        self.microversions = microversions
        self.policy = policy
        # RouteIndex: the same match as mapper.routematch without trying every
        # route's regexp per request (see stackapi/route_index.py).
        self._index = RouteIndex(mapper)
        self._routes_app = routes.middleware.RoutesMiddleware(
            self._dispatch, self._index, use_method_override=False, singleton=False
        )

    @classmethod
    def factory(cls, global_conf: dict, **local_conf: str) -> Router:
        """``paste.app_factory``: ``cls(**local_conf)``."""
        return cls(**local_conf)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        # Plain WSGI, not webob's wsgify: without microversions no Request is needed
        # at all, and wsgify's Request, spare Response and cookie merge cost ~20 us
        # per request, a third of the whole stack's (docs/performance.md).
        if not environ.get("PATH_INFO"):
            environ["PATH_INFO"] = "/"  # the prefix itself, as urlmap leaves it
        if self.policy is not None:
            environ[POLICY_KEY] = self.policy
        if self.microversions is None:
            return self._routes_app(environ, start_response)
        req = Request(environ)
        resp = self.microversions.respond(req, lambda: req.get_response(self._routes_app))
        return resp(environ, start_response)

    def _dispatch(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        """RoutesMiddleware's app: call the matched app, or answer the 404/405 fault.

        Plain WSGI, as ``__call__``: it runs on every request.
        """
        match = environ["wsgiorg.routing_args"][1]
        if not _reaches(match) and environ["REQUEST_METHOD"] == "HEAD":
            found = self.match_route(environ, "GET")
            if found is not None:
                match, environ["routes.route"] = found
                environ["wsgiorg.routing_args"] = (environ["routes.url"], match)
        if _reaches(match):
            return match["controller"](environ, start_response)
        allowed = self.allowed_methods(environ)
        if allowed:
            method = environ["REQUEST_METHOD"]
            fault = fault_response(
                405,
                f"The method {method} is not allowed for this resource.",
                [("Allow", ", ".join(allowed))],
            )
        else:
            fault = fault_response(404, "The resource could not be found.")
        return fault(environ, start_response)

    def match(self, environ: dict, method: str) -> dict | None:
        """The match dict for ``environ``'s path with another method (None if none)."""
        found = self.match_route(environ, method)
        return found[0] if found else None

    def match_route(self, environ: dict, method: str) -> tuple[dict, Any] | None:
        """``(match dict, route)`` for ``environ``'s path with ``method``, through the index."""
        probe = dict(environ, REQUEST_METHOD=method)
        return self._index.routematch(environ=probe)

    def allowed_methods(self, environ: dict) -> list[str]:
        """The methods that reach an app for ``environ``'s path (for ``Allow``)."""
        allowed = [m for m in METHODS if m != "HEAD" and _reaches(self.match(environ, m))]
        if "GET" in allowed:
            allowed.insert(allowed.index("GET") + 1, "HEAD")
        return allowed


def _check_target(route: Any, microversions: Microversions | None) -> None:
    """A route leads to a WSGI app; versioned controllers have microversions somewhere."""
    target = route.defaults.get("controller")
    if target is None:
        return
    if not callable(target):
        raise TypeError(
            f"route {route.routepath!r}: controller={target!r} is not a WSGI app; "
            "pass an object such as stackapi.Resource(MyController())"
        )
    controller = getattr(target, "controller", None)
    if microversions is None and getattr(target, "microversions", None) is None:
        _refuse_versioned(controller)


def _check_extension(extension: Any) -> None:
    """An extension is an instance: a class would fail on every request, not here."""
    if isinstance(extension, type):
        name = extension.__qualname__
        raise ConfigError(
            f"{name} is a class; pass an instance, {name}() "
            "(or stackapi.extensions.load_extensions('module:Class'))",
            key="extensions",
        )


def _refuse_versioned(obj: Any) -> None:
    """TypeError if ``obj`` (a controller or an extension) has ``@api_version`` methods."""
    for klass in type(obj).__mro__ if obj is not None else ():
        for name, value in vars(klass).items():
            if isinstance(value, VersionedMethod):
                raise TypeError(
                    f"{klass.__qualname__}.{name} uses @api_version: pass "
                    "microversions= to the Router (or its Resource)"
                )


def _resource_named(mapper: routes.Mapper, collection: str) -> Any:
    """The Resource behind the route Routes named ``collection`` (ConfigError if none)."""
    for route in mapper.matchlist:
        if route.name == collection and hasattr(route.defaults.get("controller"), "controller"):
            return route.defaults["controller"]
    names = sorted(
        r.name
        for r in mapper.matchlist
        if r.name and r.defaults.get("action") == "index" and not r.name.startswith("formatted_")
    )
    raise ConfigError(
        f"an extension extends {collection!r}, but no collection has that name "
        f"(known: {', '.join(names) or 'none'})",
        key="extensions",
    )


def _reaches(match: dict | None) -> bool:
    """A match leads somewhere: it has a controller, which handles its action."""
    if not match:
        return False
    app = match.get("controller")
    if not callable(app):
        return False
    handles = getattr(app, "handles", None)
    return handles is None or handles(match.get("action"))


__all__ = ["Router", "METHODS"]
