"""A plain WSGI app that answers with what it saw, for the filter tests.

``GET/POST ...`` -> 200 JSON: the environ keys filters change, the request
ids, the context, and how many body bytes it could read.  Query switches:
``?log=text`` logs ``text`` on logger ``echo`` while handling the request;
``?stream=1`` answers with a generator (logging once more while iterated).
``pipeline_ini(filters, options)`` writes an ini around it for loadapp tests.
"""

import json
import logging
from urllib.parse import parse_qs

LOG = logging.getLogger("echo")


def describe(environ, body_length):
    context = environ.get("stackapi.context")
    return {
        "script_name": environ.get("SCRIPT_NAME", ""),
        "path_info": environ.get("PATH_INFO", ""),
        "scheme": environ.get("wsgi.url_scheme"),
        "host": environ.get("HTTP_HOST"),
        "remote_addr": environ.get("REMOTE_ADDR"),
        "request_id": environ.get("openstack.request_id"),
        "global_request_id": environ.get("openstack.global_request_id"),
        "context": context.to_dict() if context is not None else None,
        "body_length": body_length,
    }


def read_body(environ):
    if environ["REQUEST_METHOD"] not in ("POST", "PUT", "PATCH"):
        return b""
    stream = environ["wsgi.input"]
    chunks = []
    while True:
        chunk = stream.read(4096)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def echo_app(environ, start_response):
    query = parse_qs(environ.get("QUERY_STRING", ""))
    if "log" in query:
        LOG.warning("echo says %s", query["log"][0])
    data = json.dumps(describe(environ, len(read_body(environ)))).encode()
    if "stream" in query:
        start_response("200 OK", [("Content-Type", "application/json")])
        return _stream(data)
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    )
    return [data]


def _stream(data):
    LOG.warning("streaming")
    yield data[:10]
    yield data[10:]


def app_factory(global_conf, **local_conf):
    return echo_app


def pipeline_ini(filters, sections=""):
    """An ini whose [app:main]-equivalent is ``filters`` (names) then the echo app."""
    return (
        "[composite:main]\n"
        "use = egg:stackapi#urlmap\n"
        "/: pipe\n\n"
        "[pipeline:pipe]\n"
        f"pipeline = {filters} echo\n\n"
        "[app:echo]\n"
        "paste.app_factory = echo_app:app_factory\n\n" + sections
    )
