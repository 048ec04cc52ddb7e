"""Guard: URLs refused before the app, responses written only as valid HTTP."""

import json
import logging

import pytest
import webob

from demo_config import demo_ini
from stackapi.guard import ENVIRON_KEY, Guard, guarded, header_problem, url_problem
from stackapi.loader import loadapp
from stackapi.middleware import Middleware
from stackapi.request_ids import install_log_record_factory
from stackapi.urlmap import URLMap


class Recorder:
    """A WSGI app answering with the given status, headers and body; records calls and close."""

    def __init__(self, status="200 OK", headers=None, body=(b'{"ok": true}',), lazy=False):
        self.status = status
        self.headers = headers if headers is not None else [("Content-Type", "application/json")]
        self.body = list(body)
        self.lazy = lazy
        self.calls = 0
        self.closed = False

    def __call__(self, environ, start_response):
        self.calls += 1
        if self.lazy:
            return self._lazy(start_response)
        start_response(self.status, list(self.headers))
        return _Closing(self.body, self)

    def _lazy(self, start_response):
        try:
            start_response(self.status, list(self.headers))
            yield from self.body
        finally:
            self.closed = True


class _Closing(list):
    def __init__(self, body, owner):
        super().__init__(body)
        self.owner = owner

    def close(self):
        self.owner.closed = True


def call(app, path="/", method="GET", query=""):
    """``(status, headers, body)`` as a server would see them."""
    req = webob.Request.blank("/", method=method)
    req.environ["PATH_INFO"] = path  # as a server sets it: latin-1 characters for the bytes
    req.environ["QUERY_STRING"] = query
    status, headers, app_iter = req.call_application(Guard(app))
    try:
        body = b"".join(app_iter)
    finally:
        getattr(app_iter, "close", lambda: None)()
    return status, headers, body


def fault_of(body):
    return json.loads(body)


@pytest.mark.parametrize(
    "path,query,message",
    [
        ("/\xc5", "", "The URL is not valid UTF-8."),
        ("/v1/\xc0\xae\xc0\xae", "", "The URL is not valid UTF-8."),
        ("/v1/\xed\xa0\x80", "", "The URL is not valid UTF-8."),
        ("/v1/widgets", "name=%ff", "The URL is not valid UTF-8."),
        ("/v1/widgets", "%c0%ae=1", "The URL is not valid UTF-8."),
        ("/v1/widgets/\x00", "", "The URL contains control characters."),
        ("/v1/\r\nX: y", "", "The URL contains control characters."),
        ("/v1/\xc2\x85", "", "The URL contains control characters."),  # U+0085 NEL
        ("/v1/widgets", "a=%00", "The URL contains control characters."),
        ("/v1/../admin", "", "The URL must not contain '.' or '..' segments."),
        ("/v1/widgets/.", "", "The URL must not contain '.' or '..' segments."),
        ("/..", "", "The URL must not contain '.' or '..' segments."),
    ],
)
def test_bad_urls_are_400_before_the_app(path, query, message, caplog):
    install_log_record_factory()  # records get %(request_id)s, as under the server
    app = Recorder()
    with caplog.at_level(logging.INFO, "stackapi.guard"):
        status, headers, body = call(app, path, query=query)
    assert status == "400 Bad Request"
    assert fault_of(body) == {"badRequest": {"code": 400, "message": message}}
    request_id = dict(headers)["x-openstack-request-id"]
    assert request_id.startswith("req-")
    assert app.calls == 0
    (record,) = caplog.records
    assert message in record.getMessage() and "\r" not in record.getMessage()
    assert record.request_id == request_id


@pytest.mark.parametrize(
    "path,query",
    [
        ("/v1/widgets/caf\xc3\xa9", ""),  # UTF-8 bytes, as WSGI's latin-1 characters
        ("/v1/widgets", "name=caf%C3%A9&x=a+b&y=%2F"),
        ("/v1/a..b/.hidden/...", "q=.."),
        ("", ""),
    ],
)
def test_good_urls_reach_the_app(path, query):
    app = Recorder()
    status, _, body = call(app, path, query=query)
    assert (status, body, app.calls) == ("200 OK", b'{"ok": true}', 1)


@pytest.mark.parametrize(
    "headers",
    [
        [("X-Note", "a\r\nSet-Cookie: injected=1")],
        [("X-Note", "a\nb")],
        [("X-Note", "a\x00b")],
        [("X-Note\r\nX-Evil", "1")],
        [("X Note", "1")],
        [("", "1")],
        [("X-Note", "snow \u2603")],
        [("X-Note", 42)],
    ],
)
def test_a_header_that_cannot_be_written_is_a_500(headers, caplog):
    app = Recorder(headers=[("x-openstack-request-id", "req-1"), *headers])
    with caplog.at_level(logging.ERROR, "stackapi.guard"):
        status, out_headers, body = call(app)
    assert status == "500 Internal Server Error"
    assert fault_of(body)["apiFault"]["code"] == 500
    assert b"injected" not in body and b"Evil" not in body
    assert dict(out_headers)["x-openstack-request-id"] == "req-1"  # the log line's id
    assert app.closed
    (record,) = caplog.records
    assert "req-1" in record.getMessage() and "header" in record.getMessage()


def test_a_lazy_app_is_checked_too():
    app = Recorder(headers=[("X-Note", "a\r\nb")], lazy=True)
    status, _, _ = call(app)
    assert status == "500 Internal Server Error" and app.closed
    app = Recorder(body=[b"one", b"two"], lazy=True)
    assert call(app)[::2] == ("200 OK", b"onetwo")


def test_a_latin_1_header_value_is_written():
    app = Recorder(headers=[("X-Note", "caf\xe9\ttab")])
    status, headers, _ = call(app)
    assert status == "200 OK" and ("X-Note", "caf\xe9\ttab") in headers


@pytest.mark.parametrize("status", ["200", "2000 OK", "200 OK\r\nX: y", "abc OK", "600 Nope"])
def test_a_bad_status_line_is_a_500(status):
    assert header_problem(status, []) is not None
    assert call(Recorder(status=status))[0] == "500 Internal Server Error"


@pytest.mark.parametrize(
    "method,status", [("HEAD", "200 OK"), ("GET", "204 No Content"), ("GET", "304 Not Modified")]
)
def test_bodyless_answers_lose_their_body(method, status):
    headers = [("Content-Type", "application/json"), ("Content-Length", "12")]
    app = Recorder(status=status, headers=headers)
    out_status, out_headers, body = call(app, method=method)
    assert (out_status, body) == (status, b"")
    assert app.closed
    names = [name.lower() for name, _ in out_headers]
    assert ("content-length" in names) == (status != "204 No Content")


def test_write_of_a_bodyless_answer_is_dropped():
    sent = []

    def app(environ, start_response):
        write = start_response("204 No Content", [])
        write(b"ignored")
        return []

    def server_start_response(status, headers, exc_info=None):
        return sent.append

    environ = webob.Request.blank("/").environ
    assert list(Guard(app)(environ, server_start_response)) == []
    assert sent == []


def test_url_problem_reads_only_the_wsgi_keys():
    assert url_problem({}) is None
    assert url_problem({"PATH_INFO": "/a", "QUERY_STRING": "b=%E2%82%AC"}) is None


# -- one Guard per request, wherever it is placed --------------------------------------


def test_a_guard_inside_a_guard_steps_aside():
    app = Recorder(headers=[("X-Note", "a\r\nb")])
    inner = Guard(app)
    outer = Guard(inner)
    req = webob.Request.blank("/")
    status, headers, body = req.call_application(outer)
    assert status == "500 Internal Server Error"  # answered once, by the outer one
    assert req.environ[ENVIRON_KEY] is outer and app.calls == 1
    assert guarded(outer) is outer and guarded(app).app is app


def test_the_urlmap_wraps_itself(tmp_path):
    app = loadapp(str(demo_ini(tmp_path)))
    assert isinstance(app, Guard) and isinstance(app.app, URLMap)
    assert isinstance(loadapp(str(demo_ini(tmp_path)), "api_v21"), Middleware)  # not a urlmap


class Stamp(Middleware):
    """A filter whose answer_outside hook marks what the Guard answers."""

    def answer_outside(self, environ, response):
        response.headers["X-Outside"] = environ["PATH_INFO"]
        return response


class Broken(Middleware):
    def answer_outside(self, environ, response):
        raise RuntimeError("a bug in a hook")


def test_the_guards_own_answers_pass_the_filters_hooks(caplog):
    bad_header = Recorder(headers=[("X-Note", "a\r\nb")])
    urlmap = URLMap([(None, "/v1", Stamp(bad_header)), (None, "/v2", Stamp(Recorder()))])
    status, headers, _ = call(urlmap, "/v2/\x00")
    assert status.startswith("400") and ("X-Outside", "/v2/\x00") in headers
    status, headers, _ = call(urlmap, "/v1/x")  # the 500 for the header the app sent
    assert status.startswith("500") and ("X-Outside", "/v1/x") in headers
    status, headers, _ = call(urlmap, "/v3/..")  # no prefix: no filter to ask
    assert status.startswith("400") and "X-Outside" not in dict(headers)
    with caplog.at_level(logging.ERROR, "stackapi.guard"):
        status, headers, _ = call(Broken(Recorder()), "/..")
    assert status.startswith("400")  # the hook's bug never turns the 400 into anything else
    assert "answer_outside hooks failed" in caplog.text and "a bug in a hook" in caplog.text
