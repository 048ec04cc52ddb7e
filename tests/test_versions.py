"""Version documents in nova's format, links built from the request URL (proxy, prefix)."""

import pytest
import routes

import stackapi
from conftest import testapp
from demo_config import demo_ini
from stackapi.errors import ConfigError
from stackapi.microversion import Microversions
from stackapi.versions import VersionInfo, VersionsApp

TOKEN = {"X-Auth-Token": "alice:demo"}
MEDIA = [
    {"base": "application/json", "type": "application/vnd.openstack.compute+json;version=2.1"}
]
PROXY = "10.0.0.5"
FORWARDED = {
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "api.example.com",
    "X-Forwarded-Prefix": "/compute",
}


@pytest.fixture
def app(tmp_path):
    return testapp(stackapi.loadapp(str(demo_ini(tmp_path, trusted_proxies=PROXY))))


def test_root_lists_the_versions(app):
    resp = app.get("/")
    assert resp.json == {
        "versions": [
            {
                "id": "v2.1",
                "status": "CURRENT",
                "version": "2.61",
                "min_version": "2.1",
                "updated": "2013-07-23T11:33:21Z",
                "links": [{"rel": "self", "href": "http://localhost/v2.1/"}],
                "media-types": MEDIA,
            }
        ]
    }
    assert "OpenStack-API-Version" not in resp.headers  # no API answered it


def test_other_root_paths_are_300_multiple_choices_as_nova(app):
    resp = app.get("/servers/detail", status=300)
    assert resp.json == {
        "choices": [
            {
                "id": "v2.1",
                "status": "CURRENT",
                "links": [{"rel": "self", "href": "http://localhost/v2.1/servers/detail"}],
                "media-types": MEDIA,
            }
        ]
    }


def test_root_methods(app):
    assert app.head("/").body == b""
    resp = app.post_json("/", {}, status=405)
    assert (resp.headers["Allow"], list(resp.json)) == ("GET, HEAD", ["badMethod"])


@pytest.mark.parametrize("path", ["/v2.1", "/v2.1/"])
def test_the_version_document_needs_no_token(app, path):
    resp = app.get(path)  # as nova's: keystoneauth's discovery starts here, unauthenticated
    assert resp.json == {
        "version": {
            "id": "v2.1",
            "status": "CURRENT",
            "version": "2.61",
            "min_version": "2.1",
            "updated": "2013-07-23T11:33:21Z",
            "links": [
                {"rel": "self", "href": "http://localhost/v2.1/"},
                {
                    "rel": "describedby",
                    "type": "text/html",
                    "href": "https://docs.openstack.org/api-ref/compute/",
                },
            ],
            "media-types": MEDIA,
        }
    }
    resp = app.post_json("/v2.1/", {}, status=405)
    assert resp.headers["Allow"] == "GET, HEAD"
    assert app.get("/v2.1/servers", status=401).json["unauthorized"]["code"] == 401


def test_links_behind_a_proxy(app):
    via = {"extra_environ": {"REMOTE_ADDR": PROXY}, "headers": {**FORWARDED, **TOKEN}}
    root = app.get("/", **via).json["versions"][0]["links"][0]["href"]
    assert root == "https://api.example.com/compute/v2.1/"
    doc = app.get("/v2.1/", **via).json["version"]["links"][0]["href"]
    assert doc == "https://api.example.com/compute/v2.1/"
    choice = app.get("/flavors", status=300, **via).json["choices"][0]["links"][0]["href"]
    assert choice == "https://api.example.com/compute/v2.1/flavors"
    flavor = app.get("/v2.1/flavors/1", **via).json["flavor"]["links"]
    assert flavor == [
        {"rel": "self", "href": "https://api.example.com/compute/v2.1/flavors/1"},
        {"rel": "bookmark", "href": "https://api.example.com/compute/flavors/1"},
    ]


def test_forwarded_headers_from_anyone_else_are_ignored(app):
    via = {"extra_environ": {"REMOTE_ADDR": "203.0.113.9"}, "headers": FORWARDED}
    assert app.get("/", **via).json["versions"][0]["links"][0]["href"] == (
        "http://localhost/v2.1/"
    )


def test_links_under_a_path_prefix(app):
    prefixed = {"extra_environ": {"SCRIPT_NAME": "/cloud"}, "headers": TOKEN}
    resp = app.get("/cloud/", **prefixed)
    assert resp.json["versions"][0]["links"][0]["href"] == "http://localhost/cloud/v2.1/"
    resp = app.get("/cloud/v2.1/", **prefixed)
    assert resp.json["version"]["links"][0]["href"] == "http://localhost/cloud/v2.1/"


def test_a_narrowed_range_shows_in_both_documents(tmp_path):
    ini = demo_ini(
        tmp_path, api_options="max_version = 2.37", versions_options="max_version = 2.37"
    )
    app = testapp(stackapi.loadapp(str(ini)))
    assert app.get("/").json["versions"][0]["version"] == "2.37"
    assert app.get("/v2.1/").json["version"]["version"] == "2.37"
    latest = app.get("/v2.1/flavors", headers={**TOKEN, "OpenStack-API-Version": "compute latest"})
    assert latest.headers["OpenStack-API-Version"] == "compute 2.37"
    headers = {**TOKEN, "X-OpenStack-Nova-API-Version": "2.38"}
    assert "maximum is 2.37" in app.get("/v2.1/flavors", headers=headers, status=406).text


def test_a_bad_range_in_the_versions_section_names_file_section_and_key(tmp_path):
    ini = demo_ini(tmp_path, versions_options="max_version = 3.0")
    with pytest.raises(ConfigError) as caught:
        stackapi.loadapp(str(ini))
    assert str(caught.value) == (
        f"{ini}: [app:versions_app] max_version: 3.0 is outside what the code implements "
        "(2.1 to 2.61)"
    )


def test_a_router_that_routes_its_root_keeps_it():
    class Root(stackapi.Controller):
        def index(self, req):
            return {"mine": True}

    mapper = routes.Mapper()
    mapper.connect("/", controller=stackapi.Resource(Root()), action="index")
    info = VersionInfo("v1", microversions=Microversions("things", "1.0", "1.1"))
    app = testapp(stackapi.Router(mapper, version=info))
    assert app.get("/").json == {"mine": True}
    assert app.get("/").headers["OpenStack-API-Version"] == "things 1.0"


def test_a_version_without_microversions():
    class Versions(VersionsApp):
        versions = (VersionInfo("v1", status="SUPPORTED", updated="2020-01-01T00:00:00Z"),)

    (listed,) = testapp(Versions()).get("/").json["versions"]
    assert (listed["version"], listed["min_version"], listed["status"]) == ("", "", "SUPPORTED")
    app = testapp(stackapi.Router(routes.Mapper(), version=Versions.versions[0]))
    document = app.get("/").json["version"]
    assert document["media-types"][0]["type"] == "application/vnd.openstack.api+json;version=1"
    assert "OpenStack-API-Version" not in app.get("/").headers
