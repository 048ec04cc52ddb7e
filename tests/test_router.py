"""Router: 404, 405 + Allow, HEAD, method override off, read-only controllers."""

import pytest
import routes

import stackapi
from conftest import testapp


class ReadOnly(stackapi.Controller):
    def index(self, req):
        return {"items": []}

    def show(self, req, id):
        return {"item": {"id": id}}


class Full(ReadOnly):
    def create(self, req, body):
        return {"created": body}

    def delete(self, req, id):
        return None


def router(controller):
    mapper = routes.Mapper()
    mapper.resource("item", "items", controller=stackapi.Resource(controller))
    return testapp(stackapi.Router(mapper))


@pytest.fixture
def app():
    return router(Full())


def test_unmatched_path_is_404_fault(app):
    resp = app.get("/nothing/here", status=404)
    assert resp.json == {
        "itemNotFound": {"code": 404, "message": "The resource could not be found."}
    }
    assert resp.headers["Content-Type"] == "application/json"


def test_wrong_method_is_405_with_allow(app):
    resp = app.put_json("/items", {}, status=405)
    assert resp.json["badMethod"]["code"] == 405
    assert resp.headers["Allow"] == "GET, HEAD, POST"


def test_member_allow_lists_every_method_that_matches(app):
    resp = app.post_json("/items/1", {}, status=405)
    assert resp.headers["Allow"] == "GET, HEAD, DELETE"


def test_missing_controller_method_counts_as_no_route():
    app = router(ReadOnly())
    resp = app.post_json("/items", {"a": 1}, status=405)
    assert resp.headers["Allow"] == "GET, HEAD"
    resp = app.delete("/items/1", status=405)
    assert resp.headers["Allow"] == "GET, HEAD"


def test_head_is_served_by_the_get_route(app):
    resp = app.head("/items/1")
    assert resp.status_int == 200
    assert resp.body == b""


def test_method_override_in_query_is_ignored(app):
    # RoutesMiddleware would turn this into a DELETE with use_method_override=True.
    resp = app.post_json("/items/1?_method=DELETE", {}, status=405)
    assert resp.headers["Allow"] == "GET, HEAD, DELETE"


def test_method_override_in_form_is_ignored(app):
    resp = app.post("/items/1", {"_method": "DELETE"}, status=405)
    assert "badMethod" in resp.json


def test_empty_path_is_the_root():
    mapper = routes.Mapper()
    mapper.connect("/", controller=stackapi.Resource(ReadOnly()), action="index")
    app = testapp(stackapi.Router(mapper))
    assert app.get("/", extra_environ={"PATH_INFO": ""}).json == {"items": []}


def test_controller_must_be_a_wsgi_app():
    mapper = routes.Mapper()
    mapper.connect("/x", controller="widgets", action="index")
    with pytest.raises(TypeError, match="is not a WSGI app"):
        stackapi.Router(mapper)


def test_factory_passes_section_options():
    class MyRouter(stackapi.Router):
        def __init__(self, **conf):
            self.conf = conf
            mapper = routes.Mapper()
            mapper.connect("/", controller=stackapi.Resource(ReadOnly()), action="index")
            super().__init__(mapper)

    built = MyRouter.factory({"here": "/etc"}, flavor="strawberry")
    assert built.conf == {"flavor": "strawberry"}
