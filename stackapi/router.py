"""Router: the second routing step, URL path + method -> a WSGI app (usually a Resource).

Built on ``routes.middleware.RoutesMiddleware`` with ``use_method_override=False``:
a ``?_method=`` or a form field never changes the request method.
"""

from __future__ import annotations

from typing import Any

import routes
import routes.middleware
from webob.dec import wsgify

from stackapi.faults import fault_response
from stackapi.request import Request
from stackapi.route_index import RouteIndex

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
    """

    def __init__(self, mapper: routes.Mapper) -> None:
        for route in mapper.matchlist:
            target = route.defaults.get("controller")
            if target is not None and not callable(target):
                raise TypeError(
                    f"route {route.routepath!r}: controller={target!r} is not a WSGI app; "
                    "pass an object such as stackapi.Resource(MyController())"
                )
        self.mapper = mapper
        # RouteIndex: the same match as mapper.routematch without trying every
        # route's regexp per request (see stackapi/route_index.py).
        self._routes_app = routes.middleware.RoutesMiddleware(
            self._dispatch, RouteIndex(mapper), use_method_override=False, singleton=False
        )

    @classmethod
    def factory(cls, global_conf: dict, **local_conf: str) -> Router:
        """``paste.app_factory``: ``cls(**local_conf)``."""
        return cls(**local_conf)

    @wsgify(RequestClass=Request)
    def __call__(self, req: Request) -> Any:
        if not req.environ.get("PATH_INFO"):
            req.environ["PATH_INFO"] = "/"  # the prefix itself, as urlmap leaves it
        return self._routes_app

    @wsgify(RequestClass=Request)
    def _dispatch(self, req: Request) -> Any:
        match = req.environ["wsgiorg.routing_args"][1]
        if not _reaches(match) and req.method == "HEAD":
            match = self.match(req.environ, "GET")
            if match:
                req.environ["wsgiorg.routing_args"] = (req.environ["routes.url"], match)
        if _reaches(match):
            return match["controller"]
        allowed = self.allowed_methods(req.environ)
        if allowed:
            return fault_response(
                405,
                f"The method {req.method} is not allowed for this resource.",
                [("Allow", ", ".join(allowed))],
            )
        return fault_response(404, "The resource could not be found.")

    def match(self, environ: dict, method: str) -> dict | None:
        """The match dict for ``environ``'s path with another method (None if none)."""
        probe = dict(environ, REQUEST_METHOD=method)
        result = self.mapper.routematch(environ=probe)
        return result[0] if result else None

    def allowed_methods(self, environ: dict) -> list[str]:
        """The methods that reach an app for ``environ``'s path (for ``Allow``)."""
        allowed = [m for m in METHODS if m != "HEAD" and _reaches(self.match(environ, m))]
        if "GET" in allowed:
            allowed.insert(allowed.index("GET") + 1, "HEAD")
        return allowed


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
