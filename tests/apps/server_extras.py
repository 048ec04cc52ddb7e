"""An extension of the demo's servers, from "another package": a field, a header, an action."""

import stackapi
from stackapi.extensions import Extension, extends
from stackapi.microversion import api_version


class ServerExtras(Extension):
    collection = "servers"

    @extends
    def show(self, req, resp_obj, id):
        server = resp_obj.obj["server"]
        server["extras:name_length"] = len(server["name"])

    @extends
    @api_version("2.2")
    def detail(self, req, resp_obj):
        for server in resp_obj.obj["servers"]:
            server["extras:name_length"] = len(server["name"])

    @extends(action="pause")
    def _paused(self, req, resp_obj, id, body):
        resp_obj.headers["X-Paused-By"] = req.context.user_id

    @stackapi.action("ping")
    def _ping(self, req, id, body):
        return {"pong": {"id": id, "version": str(req.api_version)}}


class NotAnExtension:
    collection = "servers"
