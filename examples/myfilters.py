# myfilters.py
from webob import exc

import stackapi
from stackapi.options import Option, as_bool


class Gate(stackapi.Middleware):
    options = (Option("header", str, "X-Block"),     # ini keys, typed and checked
               Option("enabled", as_bool, True))

    def process_request(self, req):                  # None = go on
        if self.enabled and self.header in req.headers:
            raise exc.HTTPForbidden(explanation="Blocked by the gate.")

    def process_response(self, resp):
        resp.headers["X-Gate"] = "passed"
        return resp
