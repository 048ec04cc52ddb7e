"""A Router given an Extension class where an instance belongs (refused at load time)."""

import routes

import stackapi
from stackapi.extensions import Extension


class Things(stackapi.Controller):
    def index(self, req):
        return {"things": []}


class Shine(Extension):
    collection = "things"

    @stackapi.action("shine")
    def _shine(self, req, id, body):
        return None


class ThingsRouter(stackapi.Router):
    def __init__(self, **conf):
        mapper = routes.Mapper()
        mapper.resource("thing", "things", controller=stackapi.Resource(Things()))
        super().__init__(mapper, extensions=[Shine])  # Shine(), it should say
