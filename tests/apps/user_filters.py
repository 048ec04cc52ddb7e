"""A user's own filters: options from the ini section, both hooks, short-circuit."""

from webob import exc

import stackapi
from stackapi.options import Option, as_bool


class Stamp(stackapi.Middleware):
    """Free-form options (no table): they arrive as strings in self.conf."""

    def process_response(self, resp):
        resp.headers["X-Stamp"] = self.conf.get("value", "none")
        return resp


class Gate(stackapi.Middleware):
    """Typed options; refuses requests carrying X-Block."""

    options = (
        Option("header", str, "X-Block", "header that blocks the request"),
        Option("enabled", as_bool, True, "turn the gate on or off"),
    )

    def process_request(self, req):
        if self.enabled and self.header in req.headers:
            raise exc.HTTPForbidden(explanation="Blocked by the gate.")
        return None

    def process_response(self, resp):
        resp.headers["X-Gate"] = "passed"
        return resp
