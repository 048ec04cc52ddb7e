"""@expected_errors as nova's: listed statuses pass, anything else is the generic 500."""

import logging

import pytest
import routes
import webob.exc

import stackapi
from conftest import testapp
from stackapi.controller import UnexpectedError, expected_errors
from stackapi.faults import GENERIC_500
from stackapi.filters.faultwrap import FaultWrapMiddleware
from stackapi.filters.request_id import RequestIdMiddleware
from stackapi.microversion import Microversions
from stackapi.policy import Policy, authorize
from stackapi.validation import validate


class Gadgets(stackapi.Controller):
    @expected_errors(404, 409)
    def show(self, req, id):
        raise {"missing": webob.exc.HTTPNotFound(explanation="Gadget 1 could not be found."),
               "busy": webob.exc.HTTPConflict(explanation="Gadget is busy."),
               "odd": webob.exc.HTTPGone(explanation="Gadget left."),
               "bug": KeyError("gadget")}[id]  # fmt: skip

    @expected_errors(404)
    @authorize("gadgets:create")
    @validate({"type": "object", "required": ["gadget"]})
    def create(self, req, body):
        return {"gadget": body["gadget"]}

    @expected_errors((404,), min_version="2.2")
    def delete(self, req, id):
        raise webob.exc.HTTPConflict(explanation="Gadget is busy.")


@pytest.fixture
def app():
    mapper = routes.Mapper()
    mapper.resource("gadget", "gadgets", controller=stackapi.Resource(Gadgets()))
    router = stackapi.Router(
        mapper,
        microversions=Microversions("gadgets", "2.1", "2.2"),
        policy=Policy({"gadgets:create": "role:admin"}),
    )
    return testapp(RequestIdMiddleware(FaultWrapMiddleware(router)))


def test_listed_errors_pass_with_their_message(app):
    resp = app.get("/gadgets/missing", status=404)
    assert resp.json == {"itemNotFound": {"code": 404, "message": "Gadget 1 could not be found."}}
    assert app.get("/gadgets/busy", status=409).json["conflictingRequest"]["code"] == 409


@pytest.mark.parametrize("gadget", ["odd", "bug"])
def test_anything_else_is_the_generic_500_logged_with_the_request_id(app, caplog, gadget):
    caplog.set_level(logging.ERROR)
    resp = app.get(f"/gadgets/{gadget}", status=500)
    assert resp.json == {"apiFault": {"code": 500, "message": GENERIC_500}}
    (record,) = [r for r in caplog.records if r.name == "stackapi.faultwrap"]
    assert resp.headers["x-openstack-request-id"] in record.getMessage()
    assert record.exc_info is not None
    if gadget == "odd":  # the undeclared status is named in the log, not on the wire
        assert isinstance(record.exc_info[1], UnexpectedError)
        assert "410 HTTPGone, not in @expected_errors(404, 409)" in str(record.exc_info[1])


def test_policy_refusals_always_pass(app):
    resp = app.post_json("/gadgets", {}, headers={"X-Roles": "admin"}, status=403)
    assert "Policy doesn't allow gadgets:create" in resp.json["forbidden"]["message"]


def test_validation_refusals_always_pass():
    mapper = routes.Mapper()
    mapper.resource("gadget", "gadgets", controller=stackapi.Resource(Gadgets()))
    policy = Policy({"gadgets:create": "@"})
    router = stackapi.Router(
        mapper, microversions=Microversions("gadgets", "2.1", "2.2"), policy=policy
    )
    resp = testapp(router).post_json("/gadgets", {"other": 1}, status=400)
    assert "'gadget' is a required property" in resp.json["badRequest"]["message"]


def test_a_version_range_limits_the_check(app):
    resp = app.delete("/gadgets/1", status=409)  # 2.1: outside the range, passes as raised
    assert resp.json["conflictingRequest"]["message"] == "Gadget is busy."
    headers = {"OpenStack-API-Version": "gadgets 2.2"}
    assert app.delete("/gadgets/1", headers=headers, status=500).json["apiFault"]["code"] == 500


def test_only_error_statuses():
    with pytest.raises(TypeError, match="error statuses"):
        expected_errors(200)
