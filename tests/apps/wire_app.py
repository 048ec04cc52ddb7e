"""A plain WSGI app (no webob, no filters) for the server's own tests: what the wire became.

``/environ``: 200 JSON of the environ keys a server sets.  ``/read``: reads the
whole ``wsgi.input`` and lets any exception escape, as a careless app does.
``/stream?chunks=N&delay=S``: N chunks, S seconds apart; its ``close()`` logs
``stream closed after K chunks``.  ``/sleep?s=S``: sleeps (green), then 200.
``/text[?lazy=1]``: a ``str`` body (a list, or a generator), as a careless app returns.
Anything else: 200 ``{"ok": true}`` (a probe).
"""

import json
import logging
import time
from urllib.parse import parse_qs

LOG = logging.getLogger("wire")
KEYS = (
    "GATEWAY_INTERFACE",
    "REQUEST_METHOD",
    "SCRIPT_NAME",
    "PATH_INFO",
    "QUERY_STRING",
    "RAW_URI",
    "SERVER_PROTOCOL",
    "SERVER_NAME",
    "SERVER_PORT",
    "REMOTE_ADDR",
    "CONTENT_TYPE",
    "CONTENT_LENGTH",
    "HTTP_HOST",
    "HTTP_X_MULTI",
    "HTTP_TRANSFER_ENCODING",
    "wsgi.url_scheme",
    "wsgi.input_terminated",
    "wsgi.multithread",
    "wsgi.multiprocess",
    "wsgi.run_once",
    "wsgi.version",
)


def _json(start_response, document, status="200 OK"):
    body = json.dumps(document).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


class Stream:
    """A response body of ``chunks`` pieces that says, when closed, how far it got."""

    def __init__(self, chunks, delay):
        self.chunks, self.delay, self.sent = chunks, delay, 0

    def __iter__(self):
        for n in range(self.chunks):
            if n:
                time.sleep(self.delay)
            self.sent += 1
            yield b"x" * 1024

    def close(self):
        LOG.info("stream closed after %d chunks", self.sent)


def app(environ, start_response):
    path = environ["PATH_INFO"]
    query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    if "environ" in path:
        seen = {key: environ[key] for key in KEYS if key in environ}
        seen["wsgi.version"] = list(seen.get("wsgi.version", ()))
        return _json(start_response, seen)
    if path == "/read":
        data = environ["wsgi.input"].read()
        return _json(start_response, {"read": len(data)})
    if path == "/stream":
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return Stream(int(query.get("chunks", 10)), float(query.get("delay", 0.1)))
    if path == "/text":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return iter(["text"]) if "lazy" in query else ["text"]
    if path == "/sleep":
        time.sleep(float(query.get("s", 1)))
    return _json(start_response, {"ok": True})


def factory(global_conf, **local_conf):
    return app
