"""What the server writes: never a split header, never a body where HTTP allows none."""

import pytest

from .conftest import AUTH, COLLECTION, JSON, assert_fault, create_body, created_id, unique_name
from .rawhttp import request

pytestmark = pytest.mark.slow  # every case talks to a real stackapi-server


@pytest.mark.parametrize("path", ["/header-value", "/header-name"], ids=["value", "name"])
def test_a_header_with_cr_lf_is_a_500_fault_not_a_split_response(misbehaving, path):
    with misbehaving.connect() as conn:
        conn.send(request("GET", path) + request("GET", "/ok"))
        resp = conn.read_response()
        assert_fault(resp, 500)
        assert b"injected" not in resp.raw and b"X-Evil" not in resp.raw
        assert resp.header("x-openstack-request-id").startswith("req-")
        follow = conn.read_response()  # the connection is still in step
        assert (follow.status, follow.json()) == (200, {"ok": True})
    misbehaving.wait_log(r"ERROR .*X-Note")  # the operator learns which header
    misbehaving.still_serving()


def test_a_header_value_outside_latin_1_is_a_500_fault(misbehaving):
    with misbehaving.connect() as conn:
        conn.send(request("GET", "/header-unicode"))
        assert_fault(conn.read_response(), 500)
    misbehaving.still_serving()


@pytest.mark.parametrize("path", ["/not-modified", "/no-content", "/no-content-plain"])
def test_304_and_204_from_a_controller_carry_no_body(misbehaving, path):
    with misbehaving.connect() as conn:
        conn.send(request("GET", path) + request("GET", "/ok"))
        resp = conn.read_response()
        assert resp.status in (204, 304)
        assert resp.header("Transfer-Encoding") is None
        if resp.status == 204:
            assert resp.header("Content-Length") is None
        follow = conn.read_response()
        assert (follow.status, follow.json()) == (200, {"ok": True})
    misbehaving.still_serving()


@pytest.mark.parametrize(
    "method,path",
    [("GET", "/raw/304"), ("GET", "/raw/204"), ("HEAD", "/raw/200"), ("HEAD", "/raw/404")],
)
def test_the_server_sends_no_body_where_http_allows_none(misbehaving, method, path):
    # A plain WSGI app that returns a body anyway: the server must drop it.
    with misbehaving.connect() as conn:
        conn.send(request(method, path) + request("GET", "/ok"))
        resp = conn.read_response(method)
        assert resp.status == int(path.rsplit("/", 1)[1])
        if resp.status == 204:
            assert resp.header("Content-Length") is None
        follow = conn.read_response()
        assert (follow.status, follow.json()) == (200, {"ok": True}), follow.raw
    misbehaving.still_serving()


def test_head_of_the_demo_has_headers_and_no_body(demo):
    with demo.connect() as conn:
        conn.send(request("HEAD", COLLECTION, AUTH) + request("GET", COLLECTION, AUTH))
        head = conn.read_response("HEAD")
        get = conn.read_response()
    assert (head.status, head.body) == (200, b"")
    assert head.header("Content-Type") == "application/json"
    assert int(head.header("Content-Length")) == len(get.body)
    demo.still_serving()


def test_head_of_a_fault_has_no_body(demo):
    with demo.connect() as conn:
        conn.send(request("HEAD", COLLECTION + "/nope", AUTH) + request("GET", COLLECTION, AUTH))
        assert conn.read_response("HEAD").status == 404
        assert conn.read_response().status == 200
    demo.still_serving()


def test_delete_answers_204_without_a_body(demo):
    resp = demo.exchange(request("POST", COLLECTION, AUTH + JSON, create_body(unique_name("d"))))
    member = f"{COLLECTION}/{created_id(resp)}"
    with demo.connect() as conn:
        conn.send(request("DELETE", member, AUTH) + request("GET", member, AUTH))
        deleted = conn.read_response()
        assert deleted.status == 204 and deleted.header("Content-Length") is None
        assert_fault(conn.read_response(), 404)
    demo.still_serving()
