"""A versioned API (microversions 2.1-2.5): variants per range, a method added in 2.3."""

import routes

import stackapi
from stackapi.microversion import Microversions, api_version
from stackapi.validation import validate

CREATE = {"type": "object", "required": ["gadget"], "properties": {"gadget": {"type": "object"}}}
CREATE_V24 = {
    "type": "object",
    "required": ["gadget"],
    "properties": {"gadget": {"type": "object", "properties": {"color": {"type": "string"}}}},
}
QUERY = {"type": "object", "properties": {"limit": {"type": "string", "pattern": "^[0-9]+$"}}}


class Gadgets(stackapi.Controller):
    @validate(query=QUERY)
    def index(self, req):
        """List the gadgets."""
        return {"gadgets": []}

    @api_version("2.1", "2.1")
    def show(self, req, id):
        return {"gadget": {"id": id}}

    @show.api_version("2.2")
    def show(self, req, id):  # noqa: F811
        return {"gadget": {"id": id, "color": "red"}}

    @validate(CREATE, max_version="2.3")
    @validate(CREATE_V24, min_version="2.4")
    @stackapi.response(201)
    def create(self, req, body):
        return {"gadget": body["gadget"]}

    @api_version("2.3")
    @stackapi.response(204)
    def delete(self, req, id):
        """Delete a gadget."""
        return None


class GadgetsRouter(stackapi.Router):
    def __init__(self, **conf):
        mapper = routes.Mapper()
        mapper.resource("gadget", "gadgets", controller=stackapi.Resource(Gadgets()))
        super().__init__(mapper, microversions=Microversions("gadgets", "2.1", "2.5"))
