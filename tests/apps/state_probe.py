"""An extension of the demo's servers that fails, or pauses, after the create's INSERT.

tests/functional/test_state.py loads it (``extensions = state_probe:StateProbe``)
to watch the demo's one-transaction-per-request from outside: a request refused
after it wrote must leave nothing, and so must a ``kill -9`` in the middle of one.
"""

import logging
import time

from webob import exc

from stackapi.extensions import Extension, extends

LOG = logging.getLogger("stackapi.state_probe")  # under "stackapi": the demo ini logs it
PAUSE = 30.0  # seconds; the test kills the server long before


class StateProbe(Extension):
    collection = "servers"

    @extends
    def create(self, req, resp_obj, body):
        name = body["server"]["name"]
        if name.startswith("refuse-after-write"):
            raise exc.HTTPConflict(explanation="The probe refused the create after its INSERT.")
        if name.startswith("pause-after-write"):
            LOG.warning("state probe: %s written, pausing", name)
            time.sleep(PAUSE)  # green under stackapi-server: the rest of the server goes on
