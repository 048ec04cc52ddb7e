"""An extension of the demo's servers whose action fails unexpectedly (a 500 apiFault)."""

import stackapi
from stackapi.extensions import Extension


class Crash(Extension):
    collection = "servers"

    @stackapi.action("crash")
    def _crash(self, req, id, body):
        raise RuntimeError("a bug in the extension")
