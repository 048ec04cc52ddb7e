"""Application: the base class of plain (non-routed) apps, e.g. a versions document."""

from __future__ import annotations

from typing import Any

import webob.exc
from webob.dec import wsgify

from stackapi.faults import fault_from_exception
from stackapi.options import Option, apply_options
from stackapi.render import render
from stackapi.request import Request


class Application:
    """Base class for an app at the end of a pipeline that needs no Router.

    Implement ``handle(req)`` and return what a controller method would (a
    dict or list -> JSON, None -> 204, a ResponseObject, a webob.Response);
    ``webob.exc`` exceptions become JSON faults::

        class Versions(stackapi.Application):
            def handle(self, req):
                return {"versions": [{"id": "v1.0", "status": "CURRENT"}]}

        [app:versions]
        paste.app_factory = mymodule:Versions.factory

    The section's keys arrive as keyword arguments (``self.conf``); declare an
    ``options`` table to have them converted and checked (see
    :class:`stackapi.Middleware`).
    """

    options: tuple[Option, ...] = ()

    def __init__(self, **conf: Any) -> None:
        apply_options(self, conf)

    @classmethod
    def factory(cls, global_conf: dict, **local_conf: str) -> Application:
        """``paste.app_factory``: ``cls(**local_conf)``."""
        return cls(**local_conf)

    def handle(self, req: Request) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement handle(req)")

    @wsgify(RequestClass=Request)
    def __call__(self, req: Request) -> Any:
        try:
            return render(self.handle(req))
        except webob.exc.HTTPException as exc:
            return fault_from_exception(exc)
