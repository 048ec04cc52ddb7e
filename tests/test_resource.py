"""Resource: DESIGN.md's controller contract, row by row, and Resource's render table."""

import datetime
import json

import pytest
import routes
import webob
import webob.exc

import stackapi
from conftest import testapp


class Recorder(stackapi.Controller):
    """Answers with what it was called with."""

    def index(self, req):
        return {"called": "index"}

    def show(self, req, id):
        return {"called": "show", "id": id}

    def create(self, req, body):
        return {"called": "create", "body": body}

    def update(self, req, id, body):
        return {"called": "update", "id": id, "body": body}

    def delete(self, req, id):
        return None

    @stackapi.action("reboot")
    def _reboot(self, req, id, body):
        return {"called": "reboot", "id": id, "body": body}

    @stackapi.action("pause")
    @stackapi.response(202)
    def _pause(self, req, id, body):
        return None

    def search(self, req, kind, body=None):
        return {"called": "search", "kind": kind, "body": body}


def make_app(controller=None):
    mapper = routes.Mapper()
    resource = stackapi.Resource(controller or Recorder())
    mapper.resource("widget", "widgets", controller=resource, member={"action": "POST"})
    mapper.connect(
        "/search/{kind}",
        controller=resource,
        action="search",
        conditions={"method": ["GET", "POST"]},
    )
    return testapp(stackapi.Router(mapper))


@pytest.fixture
def app():
    return make_app()


# --- the contract table of DESIGN.md -------------------------------------------------


def test_get_collection_calls_index(app):
    assert app.get("/widgets").json == {"called": "index"}


def test_get_member_calls_show(app):
    assert app.get("/widgets/42").json == {"called": "show", "id": "42"}


def test_post_collection_calls_create_with_body(app):
    resp = app.post_json("/widgets", {"widget": {"name": "a"}})
    assert resp.json == {"called": "create", "body": {"widget": {"name": "a"}}}


def test_put_member_calls_update(app):
    resp = app.put_json("/widgets/7", {"widget": {"name": "b"}})
    assert resp.json == {"called": "update", "id": "7", "body": {"widget": {"name": "b"}}}


def test_delete_member_calls_delete_and_answers_204(app):
    resp = app.delete("/widgets/7")
    assert resp.status_int == 204
    assert resp.body == b""
    assert "Content-Type" not in resp.headers


def test_action_dispatches_on_the_body_key(app):
    resp = app.post_json("/widgets/7/action", {"reboot": {"type": "HARD"}})
    assert resp.json == {"called": "reboot", "id": "7", "body": {"reboot": {"type": "HARD"}}}


def test_action_with_response_decorator(app):
    resp = app.post_json("/widgets/7/action", {"pause": None})
    assert resp.status_int == 202
    assert "Content-Type" not in resp.headers  # an empty body has no type (not text/html)
    assert resp.body == b""


def test_custom_route_action_gets_route_args(app):
    assert app.get("/search/red").json == {"called": "search", "kind": "red", "body": None}


def test_custom_route_action_gets_body_when_there_is_one(app):
    resp = app.post_json("/search/red", {"q": 1})
    assert resp.json == {"called": "search", "kind": "red", "body": {"q": 1}}


def test_format_suffix_is_routing_only(app):
    assert app.get("/widgets/42.json").json == {"called": "show", "id": "42"}


def test_path_args_are_decoded_as_utf8(app):
    assert app.get("/widgets/%C3%A9t%C3%A9").json["id"] == "été"


def test_path_args_that_are_not_utf8_are_400(app):
    resp = app.get("/widgets/%ff", status=400)
    assert resp.json["badRequest"]["message"] == "The URL is not valid UTF-8."


# --- actions that are refused ----------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"explode": {}}, "There is no such action: explode"),
        ({"reboot": {}, "pause": {}}, "exactly one action"),
        ({}, "exactly one action"),
        ({"reboot": "now"}, "must be a JSON object"),
        ({"reboot": [1]}, "must be a JSON object"),
    ],
)
def test_bad_action_bodies_are_400(app, body, message):
    resp = app.post_json("/widgets/7/action", body, status=400)
    assert message in resp.json["badRequest"]["message"]


def test_action_needs_a_body(app):
    resp = app.post("/widgets/7/action", status=400)
    assert "needs a JSON object" in resp.json["badRequest"]["message"]


def test_controller_without_actions_has_no_action_url():
    class Plain(stackapi.Controller):
        def show(self, req, id):
            return {}

    app = make_app(Plain())
    app.post_json("/widgets/7/action", {"reboot": {}}, status=404)


# --- body parsing ----------------------------------------------------------------------


def post_raw(app, body, content_type="application/json", status=400, url="/widgets"):
    return app.post(url, body, headers={"Content-Type": content_type}, status=status)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"widget": ',  # truncated
        b"[1, 2]",  # not an object
        b"null",
        b'"text"',
        b"\xff\xfe{}",  # not UTF-8
        b'{"a": NaN}',
        b'{"a": Infinity}',
        b'{"a": -Infinity}',
        b'{"a": 1, "a": 2}',  # duplicate key
        b'{"a": 123456789012345678901234567890}',
        b'{"a": 1e400}',
        b"[" * 100000 + b"]" * 100000,
    ],
)
def test_malformed_bodies_are_400(app, raw):
    resp = post_raw(app, raw)
    assert list(resp.json) == ["badRequest"]
    assert resp.headers["Content-Type"] == "application/json"


def test_empty_body_where_one_is_needed_is_400(app):
    resp = post_raw(app, b"")
    assert "needs a JSON object" in resp.json["badRequest"]["message"]


def test_malformed_json_message_says_where(app):
    resp = post_raw(app, b'{"widget": ')
    assert resp.json["badRequest"]["message"].startswith("Malformed request body: ")


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/xml",
        "application/x-www-form-urlencoded",
        "application/json; charset=latin-1",
    ],
)
def test_non_json_content_types_are_415(app, content_type):
    resp = post_raw(app, b'{"a": 1}', content_type, status=415)
    assert list(resp.json) == ["badMediaType"]


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "application/JSON;charset=UTF-8",
        "application/vnd.openstack.compute+json",
        "",
    ],
)
def test_json_content_types_are_accepted(app, content_type):
    resp = post_raw(app, b'{"a": 1}', content_type, status=200)
    assert resp.json == {"called": "create", "body": {"a": 1}}


def test_body_of_get_is_ignored(app):
    resp = app.request(
        "/widgets/1", method="GET", body=b"garbage", headers={"Content-Type": "text/plain"}
    )
    assert resp.json == {"called": "show", "id": "1"}


def test_chunked_body_is_read():
    app = make_app()
    environ = {"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input_terminated": True}
    req = webob.Request.blank(
        "/widgets", method="POST", environ=environ, content_type="application/json"
    )
    req.body_file_raw = __import__("io").BytesIO(b'{"x": 1}')
    req.environ.pop("CONTENT_LENGTH", None)
    resp = req.get_response(app.app)
    assert resp.json == {"called": "create", "body": {"x": 1}}


class BrokenInput:
    """A wsgi.input whose read fails the way an engine's does for a bad chunk size."""

    def __init__(self, error):
        self.error = error

    def read(self, size=-1):
        raise self.error


@pytest.mark.parametrize(
    "error",
    [RuntimeError("Invalid chunk size"), OSError("reset"), ValueError("bad")],
    ids=["engine-specific", "oserror", "valueerror"],
)
def test_a_body_the_server_cannot_read_is_400(error):
    environ = {"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input": BrokenInput(error)}
    req = webob.Request.blank("/widgets", method="POST", environ=environ)
    req.environ.pop("CONTENT_LENGTH", None)
    resp = req.get_response(make_app().app)
    assert resp.status_int == 400
    assert resp.json == {
        "badRequest": {"code": 400, "message": "The request body could not be read."}
    }


def test_a_fault_raised_by_the_input_is_kept():
    # sizelimit's LimitedInput (and stackapi-server's body reader) raise webob faults.
    too_large = webob.exc.HTTPRequestEntityTooLarge(explanation="Too large.")
    environ = {"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input": BrokenInput(too_large)}
    req = webob.Request.blank("/widgets", method="POST", environ=environ)
    req.environ.pop("CONTENT_LENGTH", None)
    resp = req.get_response(make_app().app)
    assert resp.json == {"overLimit": {"code": 413, "message": "Too large."}}


# --- what a controller returns: the render table ------------------------------------


class Returns(stackapi.Controller):
    def __init__(self, value):
        self.value = value

    def index(self, req):
        return self.value


@pytest.mark.parametrize(
    ("value", "status", "body"),
    [
        ({"a": 1}, 200, {"a": 1}),
        ([1, 2], 200, [1, 2]),
        ({"when": datetime.date(2026, 1, 2)}, 200, {"when": "2026-01-02"}),
        (stackapi.ResponseObject({"a": 1}, code=201, headers={"Location": "/x"}), 201, {"a": 1}),
    ],
)
def test_render_json(value, status, body):
    resp = make_app(Returns(value)).get("/widgets", status=status)
    assert resp.headers["Content-Type"] == "application/json"
    assert json.loads(resp.body) == body


def test_render_response_object_headers_and_empty_body():
    ro = stackapi.ResponseObject(None, code=202, headers={"X-Job": "7", "X-Count": 3})
    resp = make_app(Returns(ro)).get("/widgets", status=202)
    assert resp.headers["X-Job"] == "7"
    assert resp.headers["X-Count"] == "3"  # as nova's wsgi, not a 500
    assert resp.body == b""


def test_response_object_code_wins_over_decorator():
    class C(stackapi.Controller):
        @stackapi.response(202)
        def index(self, req):
            return stackapi.ResponseObject({"a": 1}, code=200)

    assert make_app(C()).get("/widgets").status_int == 200


def test_decorated_status_with_a_body():
    class C(stackapi.Controller):
        @stackapi.response(201)
        def create(self, req, body):
            return {"made": True}

    resp = make_app(C()).post_json("/widgets", {"a": 1}, status=201)
    assert resp.json == {"made": True}


def test_webob_response_is_sent_as_is():
    value = webob.Response(body=b"raw", content_type="text/plain", status=299)
    resp = make_app(Returns(value)).get("/widgets", status=299)
    assert resp.body == b"raw"


def test_returned_http_exception_becomes_fault():
    resp = make_app(Returns(webob.exc.HTTPConflict("busy"))).get("/widgets", status=409)
    assert resp.json == {"conflictingRequest": {"code": 409, "message": "busy"}}


@pytest.mark.parametrize(
    ("exc", "status", "name"),
    [
        (webob.exc.HTTPBadRequest, 400, "badRequest"),
        (webob.exc.HTTPForbidden, 403, "forbidden"),
        (webob.exc.HTTPNotFound, 404, "itemNotFound"),
        (webob.exc.HTTPConflict, 409, "conflictingRequest"),
        (webob.exc.HTTPTooManyRequests, 429, "overLimit"),
        (webob.exc.HTTPNotImplemented, 501, "notImplemented"),
        (webob.exc.HTTPServiceUnavailable, 503, "serviceUnavailable"),
    ],
)
def test_raised_http_exceptions_become_faults(exc, status, name):
    class C(stackapi.Controller):
        def index(self, req):
            raise exc(explanation="because")

    resp = make_app(C()).get("/widgets", status=status)
    assert resp.json == {name: {"code": status, "message": "because"}}


def test_other_return_types_are_a_type_error():
    with pytest.raises(TypeError, match="not str"):
        make_app(Returns("text")).get("/widgets")


@pytest.mark.parametrize("number", [float("nan"), float("inf"), float("-inf")])
def test_a_result_that_json_cannot_hold_is_an_error_not_a_nan_on_the_wire(number):
    # The wire is JSON (RFC 8259 has no NaN/Infinity; requests holding them are 400s):
    # such a result is the controller's bug, a 500 through faultwrap.
    with pytest.raises(ValueError, match="not JSON compliant"):
        make_app(Returns({"n": [number]})).get("/widgets")


def test_unexpected_exceptions_propagate_to_faultwrap():
    class C(stackapi.Controller):
        def index(self, req):
            raise KeyError("boom")

    with pytest.raises(KeyError):
        make_app(C()).get("/widgets")


def test_private_methods_are_not_reachable():
    mapper = routes.Mapper()
    mapper.connect("/secret", controller=stackapi.Resource(Recorder()), action="_reboot")
    testapp(stackapi.Router(mapper)).get("/secret", status=404)


def test_context_is_reachable_and_anonymous_without_auth():
    class C(stackapi.Controller):
        def index(self, req):
            req.context.require_admin()
            return {}

        def show(self, req, id):
            return {"user": req.context.user_id, "request_id": req.request_id}

    app = make_app(C())
    assert app.get("/widgets/1").json == {"user": None, "request_id": None}
    assert app.get("/widgets", status=403).json["forbidden"]["code"] == 403


# --- strings a service cannot store, encodings it does not decode ----------------------------


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b'{"widget": {"name": "a\\ud800b"}}', "widget.name"),
        (b'{"widget": {"tags": ["ok", "\\udfff"]}}', "widget.tags[1]"),
        (b'{"\\ud83d": 1}', "\ud83d (the name)"),
    ],
)
def test_lone_surrogates_are_400_naming_the_field(app, raw, field):
    resp = post_raw(app, raw, status=400)
    message = resp.json["badRequest"]["message"]
    assert message.startswith(f"Invalid input for field/attribute {field}. ")
    assert "lone surrogate" in message


def test_a_surrogate_pair_is_one_character_and_welcome(app):
    resp = post_raw(app, b'{"widget": {"name": "\\ud83d\\ude00"}}', status=200)
    assert resp.json["body"] == {"widget": {"name": "\U0001f600"}}


@pytest.mark.parametrize("encoding", ["gzip", "br", "identity, deflate"])
def test_a_content_encoding_is_415(app, encoding):
    resp = app.post(
        "/widgets",
        b'{"a": 1}',
        headers={"Content-Type": "application/json", "Content-Encoding": encoding},
        status=415,
    )
    assert resp.json["badMediaType"]["message"].startswith("Content encoding ")


def test_identity_encoding_is_no_encoding(app):
    headers = {"Content-Type": "application/json", "Content-Encoding": "identity"}
    assert app.post("/widgets", b'{"a": 1}', headers=headers).json["body"] == {"a": 1}
