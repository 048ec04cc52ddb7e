"""Controllers that misbehave on purpose, for the corpus (tests/functional).

Each route is one behaviour a careless API author could write: a header
value with CR/LF, a body on a 304 or a 204, a slowly streamed response, a
read of an undecodable query string.  ``/greenlets`` reports how many green
threads the server process holds, so tests can see leaks from outside.
"""

import gc
import time

import routes
import webob

import stackapi

_INJECTED = "a\r\nSet-Cookie: injected=1"


class MisbehavingController(stackapi.Controller):
    def ok(self, req):
        return {"ok": True}

    def query(self, req):
        # webob decodes the query string as UTF-8 on first access.
        return {"query": dict(req.GET)}

    def header_value(self, req):
        return stackapi.ResponseObject({"ok": True}, headers={"X-Note": _INJECTED})

    def header_name(self, req):
        return stackapi.ResponseObject({"ok": True}, headers={"X-Note\r\nX-Evil": "1"})

    def header_unicode(self, req):
        return stackapi.ResponseObject({"ok": True}, headers={"X-Note": "caf\u00e9 \u2603"})

    def not_modified(self, req):
        # A 304 that carries the representation anyway.
        return stackapi.ResponseObject({"widget": {"id": "1"}}, code=304)

    def no_content(self, req):
        return stackapi.ResponseObject({"deleted": True}, code=204)

    def no_content_plain(self, req):
        return None

    def stream(self, req):
        chunks = min(int(req.GET.get("chunks", "5")), 100)
        delay = min(float(req.GET.get("delay", "0.2")), 5.0)
        return webob.Response(
            app_iter=_slow_chunks(chunks, delay),
            content_type="application/json",
            charset=None,
        )

    def greenlets(self, req):
        import greenlet  # the server's green threads; only this route needs it

        gc.collect()
        live = [g for g in gc.get_objects() if isinstance(g, greenlet.greenlet) and not g.dead]
        return {"greenlets": len(live)}


def _slow_chunks(chunks, delay):
    yield b'{"chunks": ['
    for n in range(chunks):
        time.sleep(delay)  # green: the server monkey-patches time
        yield (b"," if n else b"") + b'"' + b"x" * 1024 + b'"'
    yield b"]}"


class MisbehavingRouter(stackapi.Router):
    """``GET /<action>`` for each method of :class:`MisbehavingController`."""

    ACTIONS = (
        "ok",
        "query",
        "header_value",
        "header_name",
        "header_unicode",
        "not_modified",
        "no_content",
        "no_content_plain",
        "stream",
        "greenlets",
    )

    def __init__(self, **conf):
        mapper = routes.Mapper()
        resource = stackapi.Resource(MisbehavingController())
        for action in self.ACTIONS:
            mapper.connect(
                "/" + action.replace("_", "-"),
                controller=resource,
                action=action,
                conditions={"method": ["GET", "HEAD"]},
            )
        super().__init__(mapper)


def raw_app(environ, start_response):
    """Plain WSGI, no webob: ``/raw/<status>`` answers that status *with* a body.

    webob drops the body of its own 204/304/HEAD responses; a plain app does
    not, so this is how the corpus sees what the server itself lets through.
    """
    status = environ.get("PATH_INFO", "/").strip("/") or "200"
    body = b'{"raw": true}'
    start_response(
        f"{status} Whatever",
        [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
    )
    return [body]


def raw_app_factory(global_conf, **local_conf):
    return raw_app
