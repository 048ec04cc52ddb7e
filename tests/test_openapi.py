"""OpenAPI 3.1 from the routes: printed by --openapi, served by egg:stackapi#openapi, validated."""

from __future__ import annotations

import copy
import json

import pytest
import webob
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from conftest import CONFIGS
from demo_config import demo_ini
from stackapi.cli import main
from stackapi.loader import loadapp
from stackapi.openapi import OpenAPIApp, document_for
from stackapi.testing import app_from_ini


def printed(capsys, ini) -> dict:
    assert main(["--config", str(ini), "--openapi"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return json.loads(out)


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory):
    return demo_ini(tmp_path_factory.mktemp("demo"))


@pytest.fixture
def demo(capsys, demo_path):
    return printed(capsys, demo_path)


def test_the_demo_document_passes_the_validator(demo):
    validate(demo)  # openapi-spec-validator, OpenAPI 3.1 (raises on any error)
    assert demo["openapi"] == "3.1.0"
    assert demo["info"] == {
        "title": "stackapi demo: compute",
        "version": "2.1",
        "description": "A small compute API in nova's shapes (docs/demo.md).",
    }
    assert sorted(demo["paths"]) == [
        "/v2.1/flavors",
        "/v2.1/flavors/detail",
        "/v2.1/flavors/{flavor_id}/os-extra_specs",
        "/v2.1/flavors/{flavor_id}/os-extra_specs/{id}",
        "/v2.1/flavors/{id}",
        "/v2.1/servers",
        "/v2.1/servers/detail",
        "/v2.1/servers/{id}",
        "/v2.1/servers/{id}/action",
        "/v2.1/servers/{server_id}/metadata",
        "/v2.1/servers/{server_id}/metadata/{id}",
    ]


def test_the_validator_is_real(demo):
    broken = copy.deepcopy(demo)
    broken["paths"]["/v2.1/servers"]["get"]["parameters"][0]["in"] = "body"  # OpenAPI 2's
    with pytest.raises(OpenAPIValidationError):
        validate(broken)
    broken = copy.deepcopy(demo)
    del broken["paths"]["/v2.1/servers/{id}"]["get"]["parameters"]  # {id} undeclared
    with pytest.raises(OpenAPIValidationError):
        validate(broken)


def test_create_body_by_microversion_and_its_answers(demo):
    create = demo["paths"]["/v2.1/servers"]["post"]
    body = create["requestBody"]
    assert body["required"] is True
    old, new, *_, last = body["content"]["application/json"]["schema"]["anyOf"]
    assert old["description"] == "Microversions any to 2.18."
    assert new["description"] == "Microversions 2.19 to 2.31."
    assert last["description"] == "Microversions 2.57 to latest."
    assert "description" in new["properties"]["server"]["properties"]
    assert "description" not in old["properties"]["server"]["properties"]
    assert old["properties"]["server"]["required"] == ["name", "flavorRef"]
    responses = create["responses"]
    # 202 from @response; 401 from noauth, 413 from sizelimit (the filters before it),
    # 403 from @authorize, 400/415 for a body, 404/406 for microversions.
    assert sorted(responses) == ["202", "400", "401", "403", "404", "406", "413", "415", "default"]
    assert responses["401"] == {"$ref": "#/components/responses/unauthorized"}
    assert responses["413"] == {"$ref": "#/components/responses/overLimit413"}
    fault = demo["components"]["responses"]["unauthorized"]["content"]["application/json"]
    assert fault["schema"] == {"$ref": "#/components/schemas/Fault"}
    assert {"$ref": "#/components/parameters/compute_api_version"} in create["parameters"]
    header = demo["components"]["parameters"]["compute_api_version"]
    assert (header["name"], header["in"], header["example"]) == (
        "OpenStack-API-Version",
        "header",
        "compute 2.61",
    )
    versions = {"service_type": "compute", "ranges": ["2.1-2.61"]}
    assert create["x-openstack-api-versions"] == versions


def test_list_query_and_read_only_flavors(demo):
    index = demo["paths"]["/v2.1/servers"]["get"]
    query = {p["name"]: p for p in index["parameters"] if p.get("in") == "query"}
    assert {"limit", "marker", "name", "status"} <= set(query)
    assert "requestBody" not in index
    assert "413" not in index["responses"] and "200" in index["responses"]
    assert list(demo["paths"]["/v2.1/flavors/{id}"]) == ["get"]
    (param,) = [p for p in demo["paths"]["/v2.1/flavors/{id}"]["get"]["parameters"] if "in" in p]
    assert param == {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}


def test_actions_are_one_operation(demo):
    action = demo["paths"]["/v2.1/servers/{id}/action"]["post"]
    assert action["operationId"] == "ServersController.action"
    assert action["summary"].startswith("Actions of ServersController: confirmResize, ")
    bodies = action["requestBody"]["content"]["application/json"]["schema"]["anyOf"]
    required = sorted(name for b in bodies for name in b["required"])
    assert required == sorted(
        ["confirmResize", "lock", "os-resetState", "os-start", "os-stop", "pause", "reboot",
         "resize", "revertResize", "unlock", "unpause"]
    )  # fmt: skip
    (reboot,) = [b for b in bodies if b["required"] == ["reboot"]]
    assert reboot["properties"]["reboot"]["required"] == ["type"]  # its @validate schema
    assert {"202", "204"} <= set(action["responses"])  # resize 202, confirmResize 204
    assert "content" not in action["responses"]["204"]


def test_versioned_methods(capsys):
    document = printed(capsys, CONFIGS / "routes_versioned.ini")
    validate(document)
    assert sorted(document["paths"]) == ["/v1/gadgets", "/v1/gadgets/{id}"]  # no host entry
    member = document["paths"]["/v1/gadgets/{id}"]
    assert member["get"]["x-openstack-api-versions"]["ranges"] == ["2.1-2.1,2.2-2.5"]
    assert member["delete"]["x-openstack-api-versions"]["ranges"] == ["2.3-2.5"]
    # A versioned method's own docstring (or its name), never the framework's wrapper's.
    assert member["get"]["summary"] == "Gadgets.show"
    assert member["delete"]["summary"] == "Delete a gadget."
    assert "204" in member["delete"]["responses"]
    collection = document["paths"]["/v1/gadgets"]
    assert "201" in collection["post"]["responses"]
    assert collection["get"]["summary"] == "List the gadgets."
    (limit,) = [p for p in collection["get"]["parameters"] if p.get("name") == "limit"]
    assert limit == {
        "name": "limit",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    }
    assert document["info"] == {"title": "API", "version": "1"}  # no openapi app in the ini


def test_served_document_is_the_printed_one(demo, demo_path):
    client = app_from_ini(demo_path)
    resp = client.get("/openapi.json")
    assert resp.content_type == "application/json"
    assert resp.json == demo
    assert resp.headers["x-openstack-request-id"].startswith("req-")  # its pipeline's filters
    assert client.head("/openapi.json").status_int == 200
    resp = client.post("/openapi.json", status=405)
    assert resp.headers["Allow"] == "GET, HEAD"
    assert list(resp.json) == ["badMethod"]
    assert list(client.get("/openapi.json/more", status=404).json) == ["itemNotFound"]


def test_without_the_guard_the_app_cannot_know_its_tree():
    app = OpenAPIApp()
    with pytest.raises(RuntimeError, match="served without stackapi's Guard"):
        webob.Request.blank("/").get_response(app)


def test_document_for_a_loaded_app(demo, demo_path):
    assert document_for(loadapp(str(demo_path))) == demo
