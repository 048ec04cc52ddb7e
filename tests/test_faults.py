"""Every fault name and the shape on the wire."""

import json

import pytest
import webob
import webob.exc

from stackapi.faults import (
    FAULT_NAMES,
    fault_from_exception,
    fault_name,
    fault_response,
    over_limit,
)

NAMES = [
    (400, "badRequest"),
    (401, "unauthorized"),
    (403, "forbidden"),
    (404, "itemNotFound"),
    (405, "badMethod"),
    (409, "conflictingRequest"),
    (413, "overLimit"),
    (415, "badMediaType"),
    (429, "overLimit"),
    (501, "notImplemented"),
    (503, "serviceUnavailable"),
    (406, "apiFault"),
    (500, "apiFault"),
    (418, "apiFault"),
]


@pytest.mark.parametrize(("status", "name"), NAMES)
def test_fault_name_and_shape(status, name):
    resp = webob.Request.blank("/").get_response(fault_response(status, "went wrong"))
    assert resp.status_int == status
    assert resp.headers["Content-Type"] == "application/json"
    assert json.loads(resp.body) == {name: {"code": status, "message": "went wrong"}}
    assert fault_name(status) == name


def test_table_is_the_design_table():
    assert {s: n for s, n in NAMES if n != "apiFault"} == FAULT_NAMES


def test_exception_keeps_status_headers_and_explanation():
    exc = webob.exc.HTTPMethodNotAllowed(explanation="no", headers={"Allow": "GET"})
    resp = fault_from_exception(exc)
    assert resp.status_int == 405
    assert resp.headers["Allow"] == "GET"
    assert resp.json == {"badMethod": {"code": 405, "message": "no"}}


def test_exception_detail_wins_over_default_explanation():
    resp = fault_from_exception(webob.exc.HTTPConflict("Server is busy."))
    assert resp.json == {"conflictingRequest": {"code": 409, "message": "Server is busy."}}


def test_exception_without_text_uses_webob_explanation():
    resp = fault_from_exception(webob.exc.HTTPNotFound())
    assert resp.json["itemNotFound"]["message"] == "The resource could not be found."


def test_redirect_exception_is_not_a_fault():
    resp = fault_from_exception(webob.exc.HTTPSeeOther(location="http://x/y"))
    assert resp.status_int == 303
    assert resp.headers["Location"] == "http://x/y"
    assert resp.body == b""


# --- overLimit: retryAfter and Retry-After, as nova's Fault -----------------------------------


def test_over_limit_carries_retry_after_in_body_and_header():

    resp = fault_from_exception(over_limit("Rate limit exceeded.", retry_after=30))
    assert resp.status_int == 429
    assert resp.headers["Retry-After"] == "30"
    assert json.loads(resp.body) == {
        "overLimit": {"code": 429, "message": "Rate limit exceeded.", "retryAfter": "30"}
    }
    resp = fault_from_exception(over_limit("Too big.", status=413))
    assert json.loads(resp.body)["overLimit"] == {
        "code": 413,
        "message": "Too big.",
        "retryAfter": "0",
    }
    with pytest.raises(ValueError):
        over_limit("no", status=400)


def test_retry_after_goes_into_the_body_of_413_and_429_only():

    plain = fault_response(413, "Request body is too large.")
    assert "retryAfter" not in json.loads(plain.body)["overLimit"]  # no header, none (nova)
    other = fault_response(503, "Busy.", [("Retry-After", "5")])
    assert json.loads(other.body) == {"serviceUnavailable": {"code": 503, "message": "Busy."}}
    assert other.headers["Retry-After"] == "5"
