"""Content negotiation: whatever ``Accept`` says, the answer is JSON, never a 406."""

import pytest

from .conftest import API, AUTH, COLLECTION, CREATED, JSON, assert_fault, create_body, unique_name
from .rawhttp import request

pytestmark = pytest.mark.slow  # every case talks to a real stackapi-server

ACCEPTS = [
    "*/*",
    "text/html",
    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "application/xml",
    "application/json;q=0",
    "garbage;;;==,",
    "",
    "\u00e9/\u00e8",
]

#: (request bytes without Accept, expected status): one of each kind of answer.
CASES = [
    (("GET", COLLECTION, AUTH, b""), 200),
    (("POST", COLLECTION, AUTH + JSON, None), CREATED),
    (("GET", "/", [], b""), 200),
    (("GET", "/nope", [], b""), 300),  # the root's Multiple Choices, as nova answers
    (("GET", API + "/nope", AUTH, b""), 404),
    (("GET", COLLECTION + "/nope", AUTH, b""), 404),
    (("PATCH", COLLECTION, AUTH, b""), 405),
    (("GET", COLLECTION, [], b""), 401),
    (("POST", COLLECTION, AUTH + JSON, b"{"), 400),
    (("POST", COLLECTION, AUTH + [("Content-Type", "text/plain")], b"{}"), 415),
    (("POST", COLLECTION, AUTH + JSON + [("Content-Length", "200000")], b""), 413),
]


@pytest.mark.parametrize("accept", ACCEPTS)
def test_any_accept_still_gets_json(demo, accept):
    for (method, path, headers, body), status in CASES:
        if body is None:
            body = create_body(unique_name("accept"))
        headers = headers + [("Accept", accept.encode("utf-8").decode("latin-1"))]
        with demo.connect() as conn:
            conn.send(request(method, path, headers, body))
            resp = conn.read_response(method)
        assert resp.status == status, (method, path, resp.raw[:1000])
        assert resp.header("Content-Type") == "application/json", resp.raw[:1000]
        if status >= 400:
            assert_fault(resp, status)
    demo.still_serving()


def test_accept_charset_and_language_change_nothing(demo):
    headers = AUTH + [("Accept-Charset", "iso-8859-5"), ("Accept-Language", "xx;q=2, *")]
    resp = demo.exchange(request("GET", COLLECTION + "/nope", headers))
    assert_fault(resp, 404)
    demo.still_serving()
