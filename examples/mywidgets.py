# mywidgets.py
import routes
from webob import exc

import stackapi


class WidgetsController(stackapi.Controller):
    def index(self, req):
        return {"widgets": [{"id": "1", "name": "sprocket"}]}

    def show(self, req, id):
        raise exc.HTTPNotFound(explanation=f"Widget {id} could not be found.")

    @stackapi.action("polish")          # POST /widgets/{id}/action {"polish": {...}}
    @stackapi.response(202)
    def _polish(self, req, id, body):
        req.context.require_admin()     # 403 forbidden unless an admin calls


class WidgetsRouter(stackapi.Router):
    def __init__(self, **conf):         # conf: the keys of the ini section
        mapper = routes.Mapper()
        mapper.resource("widget", "widgets", member={"action": "POST"},
                        controller=stackapi.Resource(WidgetsController()))
        super().__init__(mapper)
