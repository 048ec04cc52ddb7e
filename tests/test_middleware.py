"""Middleware: hooks, short-circuit order, factory kwargs, options tables."""

import pytest
import webob
import webob.exc

import stackapi
from conftest import testapp
from stackapi.errors import ConfigError
from stackapi.options import Option, as_int
from user_filters import Gate, Stamp


def ok_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/json")])
    return [b'{"ok": true}']


class Recorder(stackapi.Middleware):
    def __init__(self, app, log, name, short=False):
        super().__init__(app)
        self.log, self.name, self.short = log, name, short

    def process_request(self, req):
        self.log.append(f"{self.name}.request")
        return {"short": self.name} if self.short else None

    def process_response(self, response):
        self.log.append(f"{self.name}.response")
        return response


def test_hooks_run_in_pipeline_order():
    log = []
    app = Recorder(Recorder(ok_app, log, "inner"), log, "outer")
    testapp(app).get("/")
    assert log == ["outer.request", "inner.request", "inner.response", "outer.response"]


def test_short_circuit_skips_own_process_response_but_not_outer():
    log = []
    app = Recorder(Recorder(ok_app, log, "inner", short=True), log, "outer")
    resp = testapp(app).get("/")
    assert resp.json == {"short": "inner"}
    assert log == ["outer.request", "inner.request", "outer.response"]


def test_raised_http_exception_is_json_fault():
    resp = testapp(Gate(ok_app)).get("/", headers={"X-Block": "1"}, status=403)
    assert resp.json == {"forbidden": {"code": 403, "message": "Blocked by the gate."}}
    assert "X-Gate" not in resp.headers


def test_http_exception_raised_in_process_response_is_json_fault():
    class Refuse(stackapi.Middleware):
        def process_response(self, response):
            raise webob.exc.HTTPConflict(explanation="Changed meanwhile.")

    resp = testapp(Refuse(ok_app)).get("/", status=409)
    assert resp.content_type == "application/json"
    assert resp.json == {"conflictingRequest": {"code": 409, "message": "Changed meanwhile."}}


def test_process_request_may_return_a_plain_wsgi_app():
    class Redirect(stackapi.Middleware):
        def process_request(self, req):
            return ok_app

    assert testapp(Redirect(None)).get("/").json == {"ok": True}


def test_filter_without_process_response_streams_through():
    chunks = []

    def streaming(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        for chunk in (b"a", b"b"):
            chunks.append(chunk)
            yield chunk

    class Passive(stackapi.Middleware):
        def process_request(self, req):
            return None

    result = Passive(streaming)(webob.Request.blank("/").environ, lambda s, h, e=None: None)
    assert chunks == []  # not buffered by the filter: the server iterates
    assert b"".join(result) == b"ab"


def test_factory_passes_section_keys_as_strings():
    stamped = Stamp.factory({"here": "/etc"}, value="v2")(ok_app)
    assert stamped.conf == {"value": "v2"}
    assert testapp(stamped).get("/").headers["X-Stamp"] == "v2"


def test_options_table_converts_and_defaults():
    gate = Gate.factory({}, enabled="false")(ok_app)
    assert (gate.header, gate.enabled) == ("X-Block", False)
    assert testapp(gate).get("/", headers={"X-Block": "1"}).headers["X-Gate"] == "passed"


def test_options_table_refuses_unknown_key_at_factory_time():
    with pytest.raises(ConfigError) as info:
        Gate.factory({}, enable="yes")
    assert info.value.key == "enable"
    assert "unknown option (known options: enabled, header)" in str(info.value)


def test_options_table_refuses_bad_value():
    class Sized(stackapi.Middleware):
        options = (Option("limit", as_int, 10),)

    with pytest.raises(ConfigError, match=r"limit: expected an integer, got 'ten'"):
        Sized.factory({}, limit="ten")


def test_application_replaced_in_a_subclass_is_the_one_called():
    """``self.next_app`` (what filters call) follows ``self.application``."""

    def tagged(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/json"), ("X-Tag", "wrapped")])
        return [b"{}"]

    class Rewire(stackapi.Middleware):
        def __init__(self, app, **conf):
            super().__init__(app, **conf)
            self.application = tagged

    class Passive(stackapi.Middleware):
        pass

    app = testapp(Passive(Rewire(ok_app)))
    assert app.get("/").headers["X-Tag"] == "wrapped"
    assert Passive(ok_app).next_app is ok_app  # a function is called as is


def test_filter_instances_are_called_through_their_bound_call():
    inner = Stamp(ok_app)
    outer = stackapi.Middleware(inner)
    assert outer.next_app.__self__ is inner  # same call, one C frame fewer
    assert testapp(outer).get("/").headers["X-Stamp"]
