"""An extension that refuses a server update after the controller has written it."""

from webob import exc

from stackapi.extensions import Extension, extends


class FailAfterRename(Extension):
    collection = "servers"

    @extends
    def update(self, req, resp_obj, id, body):
        raise exc.HTTPConflict(explanation="Refused after the write.")
