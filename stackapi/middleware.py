"""Middleware: the base class of filters (shipped and users' own).

Per-request code here runs under every filter: plain WSGI, one Request, and the
next app called the cheapest way (see :func:`direct_call`).
"""

from __future__ import annotations

import types
from collections.abc import Callable, Iterable
from typing import Any

import webob
import webob.exc

from stackapi.faults import fault_from_exception
from stackapi.options import Option, apply_options, parse_options
from stackapi.render import render
from stackapi.request import Request


def direct_call(app: Callable) -> Callable:
    """``app``, or its bound ``__call__`` when that is a Python function.

    Same call, cheaper for the eventlet server: CPython runs a bound method in
    the caller's C frame, while calling an instance enters a new one; and
    eventlet copies the C frames of every waiting request to the heap when it
    switches away (about 0.9 KB per layer and request in flight).
    """
    # Looked up on the type, as a call does (an instance attribute would not count).
    call = next((vars(k)["__call__"] for k in type(app).__mro__ if "__call__" in vars(k)), None)
    return types.MethodType(call, app) if isinstance(call, types.FunctionType) else app


class Middleware:
    """Base class for a filter in a pipeline.

    Override one or both hooks::

        class Stamp(stackapi.Middleware):
            options = (Option("value", str, "v1"),)   # optional: typed, validated

            def process_request(self, req):     # -> None (go on) or a response
                if "X-Block" in req.headers:
                    raise webob.exc.HTTPForbidden()
                return None

            def process_response(self, resp):   # -> the response to send
                resp.headers["X-Stamp"] = self.value
                return resp

        [filter:stamp]
        paste.filter_factory = mymodule:Stamp.factory
        value = v2

    Order: ``process_request`` on the way in; if it returns a response (or
    raises a ``webob.exc`` exception, which becomes a JSON fault), the request
    goes no further and this filter's ``process_response`` is *not* called --
    the filters outside it still see the response on the way out.  Otherwise
    the next app runs and ``process_response`` receives its response.

    ``self.application`` is the next app (``self.next_app`` calls it, see
    :func:`direct_call`); ``self.conf`` the section's options
    (strings).  With an ``options`` table each option is also an attribute,
    converted, with its default, and an unknown key is a configuration error.
    A filter that does not override ``process_response`` passes the next app's
    response through untouched (no buffering).
    """

    options: tuple[Option, ...] = ()
    #: Statuses this filter answers by itself (auth: 401): the OpenAPI document
    #: (``stackapi.openapi``) lists them for the operations behind it.
    fault_statuses: tuple[int, ...] = ()

    def __init__(self, app: Callable, **conf: Any) -> None:
        self.application = app
        apply_options(self, conf)
        self._sees_response = type(self).process_response is not Middleware.process_response

    @property
    def application(self) -> Callable:
        return self._application

    @application.setter
    def application(self, app: Callable) -> None:
        self._application = app
        self.next_app = direct_call(app)  # kept in step: the shipped filters call this

    @classmethod
    def factory(cls, global_conf: dict, **local_conf: str) -> Callable[[Callable], Middleware]:
        """``paste.filter_factory``: returns ``app -> cls(app, **local_conf)``.

        The options are checked here, when the ini is loaded, not at the first
        request.
        """
        if cls.options:
            parse_options(cls.options, local_conf)

        def _filter(app: Callable) -> Middleware:
            return cls(app, **local_conf)

        return _filter

    def process_request(self, req: Request) -> Any:
        """Return None to continue, or a response (anything ``render`` takes)."""
        return None

    def process_response(self, response: webob.Response) -> webob.Response:
        return response

    def answer_outside(self, environ: dict, response: webob.Response) -> webob.Response:
        """The Guard made ``response`` for a request that would have passed this filter
        (its 400 for a bad URL, its 500 for a bad response header): return what to send.

        As is, by default; the ``cors`` filter adds its headers, so that a browser
        can read those answers too.
        """
        return response

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        # Plain WSGI with one Request: webob.dec.wsgify would also build a spare
        # Response and wrap start_response for its cookies, on every request.
        req = Request(environ)
        try:
            result = self.process_request(req)
        except webob.exc.HTTPException as exc:
            return fault_from_exception(exc)(environ, start_response)
        if result is not None:
            # A plain WSGI app is run as is; responses, faults, dicts... are rendered.
            if isinstance(result, webob.Response) or not callable(result):
                result = render(result)
            return result(environ, start_response)
        if not self._sees_response:
            return self.next_app(environ, start_response)
        try:
            response = self.process_response(req.get_response(self.application))
        except webob.exc.HTTPException as exc:
            response = fault_from_exception(exc)
        return response(environ, start_response)
