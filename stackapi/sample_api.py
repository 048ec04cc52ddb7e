"""The demo service ``etc/api-paste.ini`` serves: a versions document and Widgets.

This is the README's example, runnable: ``WidgetsController`` (CRUD and a
``polish`` action) behind ``WidgetsRouter``.  State lives in memory, per process.
"""

from __future__ import annotations

import threading
import uuid

import routes
from webob import exc

import stackapi

_STATES = ("new", "polished")


class VersionsApp(stackapi.Application):
    """``GET /``: the versions document, with links built from the request URL."""

    def handle(self, req):
        if req.path_info not in ("", "/"):
            raise exc.HTTPNotFound()
        if req.method not in ("GET", "HEAD"):
            raise exc.HTTPMethodNotAllowed(headers={"Allow": "GET, HEAD"})
        return {
            "versions": [
                {
                    "id": "v1.0",
                    "status": "CURRENT",
                    "links": [{"rel": "self", "href": req.host_url + req.script_name + "/v1/"}],
                }
            ]
        }


class WidgetsController(stackapi.Controller):
    """Widgets: ``{"widget": {"name": ...}}`` in, ``{"widget": {...}}`` out."""

    def __init__(self):
        self._widgets: dict[str, dict] = {}
        self._lock = threading.Lock()

    def index(self, req):
        with self._lock:
            return {"widgets": list(self._widgets.values())}

    def show(self, req, id):
        return {"widget": self._get(id)}

    @stackapi.response(201)
    def create(self, req, body):
        name = _name_from(body)
        widget = {"id": str(uuid.uuid4()), "name": name, "state": "new"}
        with self._lock:
            self._widgets[widget["id"]] = widget
        location = f"{req.application_url}/widgets/{widget['id']}"
        return stackapi.ResponseObject({"widget": widget}, headers={"Location": location})

    def update(self, req, id, body):
        name = _name_from(body)
        with self._lock:
            widget = self._get(id)
            widget["name"] = name
            return {"widget": dict(widget)}

    def delete(self, req, id):
        with self._lock:
            self._get(id)
            del self._widgets[id]

    @stackapi.action("polish")
    @stackapi.response(202)
    def _polish(self, req, id, body):
        with self._lock:
            widget = self._get(id)
            if widget["state"] == "polished":
                raise exc.HTTPConflict(explanation=f"Widget {id} is already polished.")
            widget["state"] = "polished"

    def _get(self, id):
        widget = self._widgets.get(id)
        if widget is None:
            raise exc.HTTPNotFound(explanation=f"Widget {id} could not be found.")
        return widget


def _name_from(body):
    widget = body.get("widget")
    if not isinstance(widget, dict) or not isinstance(widget.get("name"), str):
        raise exc.HTTPBadRequest(explanation='Expected {"widget": {"name": "<string>"}}.')
    name = widget["name"].strip()
    if not 0 < len(name) <= 255:
        raise exc.HTTPBadRequest(explanation="A widget name is 1 to 255 characters.")
    return name


class WidgetsRouter(stackapi.Router):
    """The ``/v1`` API: ``/widgets`` and ``/widgets/{id}/action``."""

    def __init__(self, **conf):
        mapper = routes.Mapper()
        mapper.resource(
            "widget",
            "widgets",
            controller=stackapi.Resource(WidgetsController()),
            member={"action": "POST"},
        )
        super().__init__(mapper)
