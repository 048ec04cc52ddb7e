"""URLs the server cannot take as they are: 4xx JSON faults, never a 500."""

import pytest

from .conftest import (
    ALLOW_MEMBER,
    API,
    AUTH,
    COLLECTION,
    assert_fault,
    create_body,
    create_request,
    created_id,
    server_names,
    unique_name,
)
from .rawhttp import request

pytestmark = pytest.mark.slow  # every case talks to a real stackapi-server

UNDECODABLE = {
    "lone %c5 at the root": "/%c5",
    "lone %ff below the api prefix": API + "/%ff",
    "%c5 as a resource id": COLLECTION + "/%c5",
    "overlong utf-8 dot-dot at the root": "/%c0%ae%c0%ae/",
    "overlong utf-8 slash": COLLECTION + "/%c0%af",
    "utf-16 surrogate": COLLECTION + "/%ed%a0%80",
    "truncated sequence": COLLECTION + "/%e2%82",
}


@pytest.mark.parametrize("path", UNDECODABLE.values(), ids=UNDECODABLE.keys())
def test_undecodable_percent_escapes_are_400(demo, path):
    assert_fault(demo.exchange(request("GET", path, AUTH)), 400)
    demo.still_serving()


@pytest.mark.parametrize(
    "path",
    [COLLECTION + "?name=%ff", COLLECTION + "?%c0%ae=1", "/?x=%e2%82"],
    ids=["value", "name", "root"],
)
def test_undecodable_query_strings_are_400(demo, path):
    assert_fault(demo.exchange(request("GET", path, AUTH)), 400)
    demo.still_serving()


def test_a_controller_reading_an_undecodable_query_gets_no_chance_to_fail(misbehaving):
    # webob decodes req.GET as UTF-8 when a controller first reads it.
    assert_fault(misbehaving.exchange(request("GET", "/query?x=%ff")), 400)
    resp = misbehaving.exchange(request("GET", "/query?x=%C3%A9"))
    assert (resp.status, resp.json()) == (200, {"query": {"x": "\u00e9"}})
    misbehaving.still_serving()


@pytest.mark.parametrize(
    "path",
    [COLLECTION + "/%00", COLLECTION + "/a%00b", "/%00", COLLECTION + "/%0d%0aX-Injected:%201"],
    ids=["id", "inside id", "root", "crlf"],
)
def test_nul_and_control_characters_in_the_path_are_400(demo, path):
    assert_fault(demo.exchange(request("GET", path, AUTH)), 400)
    demo.still_serving()


def test_a_raw_nul_byte_in_the_request_line_is_400(demo):
    data = b"GET /v2.1/ser\x00vers HTTP/1.1\r\nHost: x\r\nX-Auth-Token: " + AUTH[0][1].encode()
    assert_fault(demo.exchange(data + b"\r\n\r\n"), 400)
    demo.still_serving()


@pytest.mark.parametrize(
    "path",
    [
        API + "/.." + COLLECTION,
        COLLECTION + "/..",
        COLLECTION + "/.",
        COLLECTION + "/%2e%2e",
        COLLECTION + "/x/../../healthcheck",
        "/../healthcheck",
    ],
)
def test_dot_segments_are_refused(demo, path):
    assert_fault(demo.exchange(request("GET", path, AUTH)), 400)
    demo.still_serving()


def test_an_over_long_url_is_414(demo):
    path = COLLECTION + "?name=" + "a" * 9000  # the default max_url_length is 8192
    with demo.connect() as conn:
        conn.send(request("GET", path, AUTH))
        assert_fault(conn.read_response(), 414)
        assert conn.closed_by_server()  # the rest of the line was never read
    demo.still_serving()


def test_a_url_just_under_the_limit_is_served(demo):
    path = COLLECTION + "?padding=" + "a" * 8000  # a parameter the demo ignores
    resp = demo.exchange(request("GET", path, AUTH))
    assert resp.status == 200, resp.raw
    demo.still_serving()


@pytest.mark.parametrize("method", ["DELETE", "PUT", "PATCH"])
def test_method_override_never_changes_the_method(demo, method):
    name = unique_name("override")
    member = f"{COLLECTION}/{created_id(demo.exchange(create_request(create_body(name))))}"

    resp = demo.exchange(request("GET", f"{member}?_method={method}", AUTH))
    assert resp.status == 200 and resp.json()["server"]["name"] == name
    resp = demo.exchange(
        request("POST", f"{member}?_method={method}", AUTH + [("X-HTTP-Method-Override", method)])
    )
    assert_fault(resp, 405)  # POST on a member, whatever the query or header say
    assert resp.header("Allow") == ALLOW_MEMBER
    assert name in server_names(demo)
    demo.still_serving()
