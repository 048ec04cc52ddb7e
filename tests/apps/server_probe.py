"""A plain WSGI app for the server tests: which process answered, from which ini, when.

Any path -> 200 JSON ``{"pid", "label", "eventlet", "path"}``.  ``?sleep=S``
sleeps S seconds first (plain ``time.sleep``, patched under stackapi-server)
and logs ``probe: sleeping`` when it starts, so a test can wait until requests
are in flight.  ``label`` is the section's key: a reload that changes it shows.
``crash_after = S`` ends the process S seconds after the app is built (a worker
crash loop).
"""

import json
import logging
import os
import sys
import threading
import time
from urllib.parse import parse_qs

LOG = logging.getLogger("probe")


def factory(global_conf, label="", crash_after=""):
    if crash_after:
        threading.Timer(float(crash_after), os._exit, args=(3,)).start()

    def probe(environ, start_response):
        query = parse_qs(environ.get("QUERY_STRING", ""))
        if "sleep" in query:
            LOG.info("probe: sleeping %s s", query["sleep"][0])
            time.sleep(float(query["sleep"][0]))
        body = json.dumps(
            {
                "pid": os.getpid(),
                "label": label,
                "eventlet": "eventlet" in sys.modules,
                "path": environ.get("PATH_INFO", ""),
            }
        ).encode()
        start_response(
            "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        )
        return [body]

    return probe


def announced_factory(global_conf, **local_conf):
    """The probe, built after logging ``app built`` (the log shows when loading happened)."""
    logging.getLogger("stackapi.server").info("app built")
    return factory(global_conf, label="announced")
