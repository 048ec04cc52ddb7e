"""Application: handle(req) rendered like a controller's result; factory kwargs."""

import pytest
from webob import exc

import stackapi
from conftest import testapp


class Hello(stackapi.Application):
    def handle(self, req):
        if req.path_info == "/missing":
            raise exc.HTTPNotFound(explanation="No such thing.")
        if req.path_info == "/empty":
            return None
        return {"hello": self.conf.get("name", "world")}


def test_handle_result_is_json():
    resp = testapp(Hello.factory({}, name="ini")).get("/")
    assert resp.json == {"hello": "ini"}
    assert resp.headers["Content-Type"] == "application/json"


def test_none_is_204():
    assert testapp(Hello()).get("/empty", status=204).body == b""


def test_http_exception_is_fault():
    resp = testapp(Hello()).get("/missing", status=404)
    assert resp.json == {"itemNotFound": {"code": 404, "message": "No such thing."}}


def test_handle_must_be_implemented():
    with pytest.raises(NotImplementedError, match="must implement handle"):
        testapp(stackapi.Application()).get("/")
