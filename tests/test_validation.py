"""@validate: 400 badRequest naming the field; schemas by microversion; query strings."""

import sys

import jsonschema
import pytest
import routes
import webob.exc

import stackapi
from conftest import testapp
from stackapi.microversion import Microversions
from stackapi.request import Request
from stackapi.validation import validate

ITEM = {
    "type": "object",
    "required": ["item"],
    "additionalProperties": False,
    "properties": {
        "item": {
            "type": "object",
            "required": ["name"],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string", "minLength": 1, "maxLength": 10},
                "size": {"type": "integer", "minimum": 1},
                "tags": {"type": "array", "items": {"type": "string", "maxLength": 3}},
                "id": {"type": "string", "format": "uuid"},
            },
        }
    },
}
ITEM_V23 = {
    "type": "object",
    "required": ["item"],
    "properties": {"item": {"type": "object", "required": ["name", "color"]}},
}
QUERY = {
    "type": "object",
    "properties": {"limit": {"type": "string", "pattern": "^[0-9]+$"}},
    "additionalProperties": False,
}


class Items(stackapi.Controller):
    @validate(query=QUERY)
    def index(self, req):
        return {"items": []}

    @validate(ITEM, max_version="2.2")
    @validate(ITEM_V23, min_version="2.3")
    @stackapi.response(201)
    def create(self, req, body):
        return {"created": body}

    @stackapi.action("rename")
    @validate({"type": "object", "properties": {"rename": {"required": ["name"]}}})
    def _rename(self, req, id, body):
        return {"renamed": id}


def make_app():
    mapper = routes.Mapper()
    mapper.resource(
        "item", "items", controller=stackapi.Resource(Items()), member={"action": "POST"}
    )
    return testapp(stackapi.Router(mapper, microversions=Microversions("test", "2.1", "2.3")))


@pytest.fixture
def app():
    return make_app()


def message(resp):
    assert resp.status_int == 400
    return resp.json["badRequest"]["message"]


def test_a_valid_body_reaches_the_method_with_its_status(app):
    resp = app.post_json("/items", {"item": {"name": "a", "size": 2}})
    assert (resp.status_int, resp.json) == (201, {"created": {"item": {"name": "a", "size": 2}}})


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"item": {"name": "a" * 11}},
            'Invalid input for field/attribute item.name. Value: "aaaaaaaaaaa". '
            "'aaaaaaaaaaa' is too long",
        ),
        (
            {"item": {"name": "a", "size": 0}},
            "Invalid input for field/attribute item.size. Value: 0. "
            "0 is less than the minimum of 1",
        ),
        (
            {"item": {}},
            "Invalid input for field/attribute item.name. 'name' is a required property",
        ),
        (
            {"item": {"name": "a", "colour": "red"}},
            'Invalid input for field/attribute item.colour. Value: "red". '
            "Additional properties are not allowed ('colour' was unexpected)",
        ),
        (
            {"item": {"name": "a", "tags": ["ok", "long"]}},
            "Invalid input for field/attribute item.tags[1]. Value: \"long\". 'long' is too long",
        ),
        ({"thing": {}}, "Invalid input for field/attribute item. 'item' is a required property"),
        (
            {"item": {"name": "a", "id": "not-a-uuid"}},
            'Invalid input for field/attribute item.id. Value: "not-a-uuid". '
            "'not-a-uuid' is not a 'uuid'",
        ),
    ],
)
def test_an_invalid_body_is_400_naming_the_field(app, body, expected):
    resp = app.post_json("/items", body, status=400)
    assert message(resp) == expected


def test_long_values_are_cut_in_the_message(app):
    resp = app.post_json("/items", {"item": {"name": "x" * 500}}, status=400)
    assert len(message(resp)) < 250
    assert message(resp).count("x...") == 2  # the value and jsonschema's own quote of it


def test_bodies_nested_as_deep_as_json_accepts_are_400_not_500(app):
    # json.loads takes nesting up to about the recursion limit; what then reads the
    # document (the surrogate check, jsonschema and its message) must not run out of stack.
    limit = sys.getrecursionlimit()
    headers = {"Content-Type": "application/json"}
    for depth in range(limit - 150, limit + 10):
        for inner in ("[" * depth + "]" * depth, '{"a": ' * depth + "1" + "}" * depth):
            resp = app.post("/items", '{"item": ' + inner + "}", headers=headers, status="*")
            assert resp.status_int == 400, (depth, inner[:2], resp.body[:200])
            assert message(resp)


def test_the_schema_follows_the_microversion(app):
    headers = {"OpenStack-API-Version": "test 2.3"}
    resp = app.post_json("/items", {"item": {"name": "a"}}, headers=headers, status=400)
    assert message(resp) == (
        "Invalid input for field/attribute item.color. 'color' is a required property"
    )
    resp = app.post_json("/items", {"item": {"name": "a", "color": 1, "x": 2}}, headers=headers)
    assert resp.status_int == 201  # the 2.3 schema allows more


def test_actions_are_validated(app):
    resp = app.post_json("/items/1/action", {"rename": {}}, status=400)
    assert message(resp) == (
        "Invalid input for field/attribute rename.name. 'name' is a required property"
    )
    assert app.post_json("/items/1/action", {"rename": {"name": "b"}}).json == {"renamed": "1"}


def test_query_parameters(app):
    assert app.get("/items?limit=5").json == {"items": []}
    resp = app.get("/items?limit=five", status=400)
    assert message(resp) == (
        'Invalid input for query parameter limit. Value: "five". '
        "'five' does not match '^[0-9]+$'"
    )
    resp = app.get("/items?limit=1&limit=2", status=400)
    assert message(resp).startswith('Invalid input for query parameter limit. Value: ["1", "2"].')
    resp = app.get("/items?sort=name", status=400)
    assert "query parameter sort" in message(resp)


def test_direct_calls_are_validated_too():
    req = Request.blank("/items/1/action")
    with pytest.raises(webob.exc.HTTPBadRequest, match="rename.name"):
        Items()._rename(req, "1", body={"rename": {}})
    # without an API version only schemas without a range apply (here: none)
    assert Items().create(req, body={"item": {}}) == {"created": {"item": {}}}


def test_a_broken_schema_fails_at_import_time():
    with pytest.raises(jsonschema.exceptions.SchemaError):
        validate({"type": "no-such-type"})


def test_a_schema_may_name_its_draft():
    draft4 = {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "type": "object",
        "properties": {"n": {"type": "number", "maximum": 5, "exclusiveMaximum": True}},
    }

    class Draft4(stackapi.Controller):
        @validate(draft4)
        def create(self, req, body):
            return body

    mapper = routes.Mapper()
    mapper.resource("n", "ns", controller=stackapi.Resource(Draft4()))
    app = testapp(stackapi.Router(mapper))
    assert app.post_json("/ns", {"n": 4}).json == {"n": 4}
    assert "5 is greater than or equal to the maximum of 5" in message(
        app.post_json("/ns", {"n": 5}, status=400)
    )


def test_overlapping_ranges_are_refused():
    with pytest.raises(TypeError, match="two @validate ranges overlap at 2.2"):

        @validate(ITEM, min_version="2.2")
        @validate(ITEM, max_version="2.3")
        def create(self, req, body):
            pass

    with pytest.raises(TypeError, match="needs a body schema, a query schema or both"):
        validate()


@pytest.mark.parametrize(
    "draft",
    ["https://json-schema.org/draft/2020-12/schema", "http://json-schema.org/draft-04/schema#"],
)
def test_nova_base64_format_is_checked(draft):
    """nova's ``base64`` (user_data, personality contents): what b64decode takes, not strict."""
    schema = {"$schema": draft, "type": "object", "properties": {"d": {"format": "base64"}}}

    class Data(stackapi.Controller):
        @validate(schema)
        def create(self, req, body):
            return body

    mapper = routes.Mapper()
    mapper.resource("d", "ds", controller=stackapi.Resource(Data()))
    app = testapp(stackapi.Router(mapper))
    for good in ("aGVsbG8K", "", "aGVs\nbG8K", 42):  # a non-string is the type's business
        assert app.post_json("/ds", {"d": good}).json == {"d": good}
    resp = app.post_json("/ds", {"d": "aGVsbG8"}, status=400)
    assert (
        message(resp)
        == "Invalid input for field/attribute d. Value: \"aGVsbG8\". 'aGVsbG8' is not a 'base64'"
    )
