"""Resource: routing args -> one Controller method; JSON in, JSON out.

The Router hands a Resource the match dict Routes built; the Resource picks
the controller method (the table in :class:`stackapi.Controller`), parses the
body, calls it, and renders what it returns.  ``webob.exc`` exceptions become
JSON faults here; anything else propagates to the ``faultwrap`` filter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import webob
import webob.exc

from stackapi.controller import ResponseObject
from stackapi.faults import fault_from_exception
from stackapi.json_body import has_body, parse_json_body
from stackapi.microversion import ENVIRON_KEY as API_VERSION_KEY
from stackapi.microversion import Microversions, resolve
from stackapi.render import render
from stackapi.request import Request

#: Route actions that never take a body, and those that always need one.
_NO_BODY = frozenset({"index", "show", "delete", "new", "edit"})
_BODY_REQUIRED = frozenset({"create", "update"})
#: Route keys that are routing machinery, not arguments of the method.
_ROUTING_KEYS = ("controller", "action", "format")


class Resource:
    """WSGI app that calls one controller's methods (see :class:`stackapi.Controller`).

    ::

        mapper.resource("widget", "widgets",
                        controller=stackapi.Resource(WidgetsController()),
                        member={"action": "POST"})

    Request bodies: a JSON object is required by ``create``, ``update`` and
    actions, optional for custom routes, ignored by ``index``/``show``/``delete``.
    ``Content-Type`` must be ``application/json`` (or ``*/*+json``; parameters
    allowed, charset utf-8 only) or absent -> else 415; malformed JSON,
    NaN/Infinity, duplicate keys, numbers beyond 64 bits -> 400.

    ``microversions=``: negotiate ``OpenStack-API-Version`` here, for a
    Resource whose Router does not (see :class:`~stackapi.microversion.Microversions`).
    A method made with ``@api_version`` that has no variant for the request's
    version answers 404.  Extensions (:class:`~stackapi.extensions.Extension`,
    attached by the Router) add actions and run after the method succeeded.
    """

    def __init__(self, controller: Any, *, microversions: Microversions | None = None) -> None:
        self.controller = controller
        self.microversions = microversions
        self.extensions: list[Any] = []
        self.extension_actions: dict[str, Any] = {}

    def register_extension(self, extension: Any) -> None:
        """Add an Extension's actions and ``@extends`` hooks (TypeError on a taken action)."""
        own = getattr(self.controller, "wsgi_actions", {})
        for name, attr in extension.wsgi_actions.items():
            if name in own or name in self.extension_actions:
                owner = type(self.controller).__name__ if name in own else "another extension"
                raise TypeError(
                    f"{type(extension).__name__}: action {name!r} is already {owner}'s"
                )
            self.extension_actions[name] = getattr(extension, attr)
        self.extensions.append(extension)

    def method_for(self, action: str | None) -> Any:
        """The controller method a route's ``action`` names, or None.

        For ``action="action"`` on a controller with ``@action`` methods this is
        None: the method is chosen from the body (see :meth:`action_method`).
        """
        if not action or action.startswith("_"):
            return None
        method = getattr(self.controller, action, None)
        return method if callable(method) else None

    def handles(self, action: str | None) -> bool:
        """Whether a route with this ``action`` reaches a method (the Router asks)."""
        return self.method_for(action) is not None or (
            action == "action"
            and bool(getattr(self.controller, "wsgi_actions", None) or self.extension_actions)
        )

    def action_method(self, body: dict) -> Any:
        """The ``@action`` method a ``POST .../action`` body names; 400 if none."""
        if len(body) != 1:
            raise webob.exc.HTTPBadRequest(
                explanation='An action body must name exactly one action, e.g. {"reboot": {}}.'
            )
        name, value = next(iter(body.items()))
        method_name = getattr(self.controller, "wsgi_actions", {}).get(name)
        method = getattr(self.controller, method_name) if method_name else None
        method = method or self.extension_actions.get(name)
        if method is None:
            raise webob.exc.HTTPBadRequest(explanation=f"There is no such action: {name}")
        if value is not None and not isinstance(value, dict):
            raise webob.exc.HTTPBadRequest(
                explanation=f"The body of action {name} must be a JSON object or null."
            )
        return method

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        # Plain WSGI rather than webob's wsgify: this runs on every request, and
        # wsgify's clone per call and spare Response cost ~10 us (docs/performance.md).
        req = Request(environ)
        if self.microversions is not None and API_VERSION_KEY not in environ:
            resp = self.microversions.respond(req, lambda: self.respond(req))
        else:
            resp = self.respond(req)
        return resp(environ, start_response)

    def respond(self, req: Request) -> webob.Response:
        """Call the method for ``req`` and render its result (faults included)."""
        try:
            method, args, hook_key = self._resolve(req)
            chosen = resolve(method, req)
            if chosen is None:  # @api_version: no variant for this version (nova: 404)
                raise webob.exc.HTTPNotFound(explanation="The resource could not be found.")
            code = getattr(chosen, "wsgi_code", None) or getattr(method, "wsgi_code", None)
            result = chosen(req, **args)
            if self.extensions and not isinstance(result, webob.Response):
                result = self._extend(req, hook_key, result, args)
            return render(result, code)
        except webob.exc.HTTPException as exc:
            return fault_from_exception(exc)

    def _extend(self, req: Request, key: str, result: Any, args: dict) -> Any:
        """Run the extensions' ``@extends`` hooks for ``key`` on the method's result."""
        if isinstance(result, webob.exc.HTTPException):
            return result
        resp_obj = result if isinstance(result, ResponseObject) else ResponseObject(result)
        for extension in self.extensions:
            for hook in extension.hooks_for(key):
                chosen = resolve(hook, req)
                if chosen is None:  # not for this version: skipped, as nova does
                    continue
                replaced = chosen(req, resp_obj, **args)
                if replaced is not None:
                    return replaced
        return resp_obj

    def _resolve(self, req: Request) -> tuple[Any, dict, str]:
        """The method to call, its keyword arguments (route args + body), its hook key."""
        args = dict(req.urlvars)
        action = args.get("action")
        for key in _ROUTING_KEYS:
            args.pop(key, None)
        args = _decode_path_args(args, req.environ.get("routes.route"))
        method = self.method_for(action)
        if method is None and self.handles(action):  # POST .../action
            args["body"] = parse_json_body(req, required=True)
            return self.action_method(args["body"]), args, "action:" + next(iter(args["body"]))
        if method is None:
            raise webob.exc.HTTPNotFound()
        if action in _BODY_REQUIRED:
            args["body"] = parse_json_body(req, required=True)
        elif action not in _NO_BODY and has_body(req):
            args["body"] = parse_json_body(req, required=False)
        return method, args, str(action)


def _decode_path_args(args: dict, route: Any) -> dict:
    """Route values come from PATH_INFO, which WSGI decodes as latin-1: make them UTF-8."""
    defaults = getattr(route, "defaults", {}) or {}
    decoded = {}
    for key, value in args.items():
        if isinstance(value, str) and not (key in defaults and defaults[key] == value):
            try:
                value = value.encode("latin-1").decode("utf-8")
            except UnicodeError:
                raise webob.exc.HTTPBadRequest(explanation="The URL is not valid UTF-8.") from None
        decoded[key] = value
    return decoded
