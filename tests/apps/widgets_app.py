"""DESIGN.md's example user code, verbatim (plus the `...` bodies filled in)."""

import routes
from webob import exc

import stackapi


class WidgetsController(stackapi.Controller):
    def index(self, req):
        return {"widgets": [{"id": "1", "name": "sprocket"}]}

    def show(self, req, id):
        raise exc.HTTPNotFound(explanation="Widget %s could not be found." % id)

    @stackapi.action("polish")
    @stackapi.response(202)
    def _polish(self, req, id, body):
        return None


class WidgetsRouter(stackapi.Router):
    def __init__(self, **conf):
        mapper = routes.Mapper()
        mapper.resource(
            "widget",
            "widgets",
            controller=stackapi.Resource(WidgetsController()),
            member={"action": "POST"},
        )
        super().__init__(mapper)
