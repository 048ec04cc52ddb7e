"""urlmap: longest prefix, SCRIPT_NAME/PATH_INFO, hosts, 404, entry parsing."""

import json

import pytest

from conftest import testapp
from stackapi.errors import ConfigError
from stackapi.urlmap import URLMap, parse_entry


def echo(name):
    def app(environ, start_response):
        body = json.dumps(
            {"app": name, "script_name": environ["SCRIPT_NAME"], "path_info": environ["PATH_INFO"]}
        ).encode()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]

    return app


@pytest.fixture
def app():
    return testapp(
        URLMap(
            [
                (None, "", echo("root")),
                (None, "/v1", echo("v1")),
                (None, "/v1/admin", echo("admin")),
                ("api.example.com", "/v1", echo("api-host")),
                ("ports.example.com:8080", "/v1", echo("port-host")),
            ]
        )
    )


def test_longest_prefix_wins(app):
    assert app.get("/v1/admin/x").json == {
        "app": "admin",
        "script_name": "/v1/admin",
        "path_info": "/x",
    }
    assert app.get("/v1/servers").json == {
        "app": "v1",
        "script_name": "/v1",
        "path_info": "/servers",
    }


def test_prefix_matches_at_segment_boundary(app):
    assert app.get("/v10").json["app"] == "root"
    assert app.get("/v1").json == {"app": "v1", "script_name": "/v1", "path_info": ""}


def test_root_gets_everything_else(app):
    assert app.get("/").json == {"app": "root", "script_name": "", "path_info": "/"}


def test_existing_script_name_is_extended(app):
    resp = app.get("/v1/x", extra_environ={"SCRIPT_NAME": "/compute"})
    assert resp.json["script_name"] == "/compute/v1"


def test_host_entry_beats_hostless(app):
    assert app.get("/v1/x", headers={"Host": "api.example.com"}).json["app"] == "api-host"
    assert app.get("/v1/x", headers={"Host": "api.example.com:9999"}).json["app"] == "api-host"
    assert app.get("/v1/x", headers={"Host": "API.example.com"}).json["app"] == "api-host"
    assert app.get("/v1/x", headers={"Host": "other.example.com"}).json["app"] == "v1"


def test_host_entry_with_port_matches_only_that_port(app):
    assert app.get("/v1/x", headers={"Host": "ports.example.com:8080"}).json["app"] == "port-host"
    assert app.get("/v1/x", headers={"Host": "ports.example.com"}).json["app"] == "v1"


def test_no_match_is_404_fault_with_request_id():
    app = testapp(URLMap([(None, "/v1", echo("v1"))]))
    resp = app.get("/v2", status=404)
    assert resp.json == {
        "itemNotFound": {"code": 404, "message": "The resource could not be found."}
    }
    assert resp.headers["x-openstack-request-id"].startswith("req-")


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("/", "versions", (None, "", "versions")),
        ("/v1/", "api", (None, "/v1", "api")),
        ("domain", "api.example.com/v1 = api", ("api.example.com", "/v1", "api")),
        ("domain", "Api.Example.com = api", ("api.example.com", "", "api")),
        ("domain api.example.com/v2", "api2", ("api.example.com", "/v2", "api2")),
    ],
)
def test_parse_entry(key, value, expected):
    assert parse_entry(key, value) == expected


@pytest.mark.parametrize(("key", "value"), [("v1", "api"), ("/v1", ""), ("domain", "/v1 = api")])
def test_parse_entry_rejects(key, value):
    with pytest.raises(ConfigError) as info:
        parse_entry(key, value)
    assert info.value.key == key


# --- nova's wildcard and the version named in a header ------------------------------------


@pytest.fixture
def versioned():
    return testapp(
        URLMap(
            [
                (None, "", echo("root")),
                (None, "/v2.1", echo("version-doc")),
                (None, "/v2.1/+", echo("api")),
                (None, "/v3", echo("v3")),
            ]
        )
    )


def test_a_wildcard_takes_only_paths_below_its_slash(versioned):
    assert versioned.get("/v2.1").json["app"] == "version-doc"
    assert versioned.get("/v2.1/").json["app"] == "version-doc"
    assert versioned.get("/v2.1/servers").json == {
        "app": "api",
        "script_name": "/v2.1",
        "path_info": "/servers",
    }
    assert versioned.get("/v2.10/x").json["app"] == "root"  # a segment boundary still


@pytest.mark.parametrize(
    ("headers", "app", "script_name"),
    [
        ({"Accept": "application/vnd.openstack.compute+json;version=2.1"}, "api", "/v2.1"),
        ({"Accept": "application/json; version=3"}, "v3", "/v3"),
        ({"Accept": "text/html, application/json;version=3;q=0.5"}, "v3", "/v3"),
        (  # the highest quality with a version wins
            {"Accept": "application/json;version=3;q=0.2, application/json;version=2.1"},
            "api",
            "/v2.1",
        ),
        ({"Content-Type": "application/json;version=3", "Accept": "application/json;version=2.1"},
         "v3", "/v3"),  # the request's own type first, as nova
        ({"Accept": "application/json;version=9"}, "root", ""),  # unknown: the path's own app
        ({"Accept": "text/plain;version=3"}, "root", ""),  # not a JSON type
        ({"Accept": "application/json;version=3;q=0"}, "root", ""),
    ],
)  # fmt: skip
def test_the_version_in_a_header_on_an_unversioned_path(versioned, headers, app, script_name):
    resp = versioned.get("/servers", headers=headers)
    assert resp.json == {"app": app, "script_name": script_name, "path_info": "/servers"}


def test_a_versioned_path_wins_over_the_header(versioned):
    headers = {"Accept": "application/json;version=3"}
    assert versioned.get("/v2.1/servers", headers=headers).json["app"] == "api"


def test_the_demo_answers_an_accept_version_as_nova(tmp_path):
    import stackapi
    from demo_config import demo_ini

    app = testapp(stackapi.loadapp(str(demo_ini(tmp_path))))
    accept = {"Accept": "application/vnd.openstack.compute+json;version=2.1"}
    resp = app.get("/flavors", headers={**accept, "X-Auth-Token": "alice:demo"})
    assert resp.json["flavors"][0]["links"][0]["href"] == "http://localhost/v2.1/flavors/1"
    resp = app.get("/flavors", headers={"Accept": "application/json;version=7"}, status=300)
    assert resp.json["choices"][0]["links"][0]["href"] == "http://localhost/v2.1/flavors"


@pytest.mark.parametrize(
    ("path", "headers", "app", "script_name", "path_info"),
    [
        ("/v2.1/servers", {}, "api", "/v2.1", "/servers"),
        ("/v2.1/", {}, "version-doc", "/v2.1", "/"),
        ("/servers", {"Accept": "application/json;version=2.1"}, "api", "/v2.1", "/servers"),
        ("/servers", {}, "root", "", "/servers"),
    ],
)
def test_match_and_enter_say_where_a_request_goes(versioned, path, headers, app, script_name,
                                                  path_info):  # fmt: skip
    """What --routes-for and the Guard ask: the entry, and the paths as the app will see them."""
    urlmap = versioned.app
    environ = {"PATH_INFO": path, "SCRIPT_NAME": "", **{
        "HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()
    }}  # fmt: skip
    entry = urlmap.match(environ)
    assert environ["PATH_INFO"] == path and environ["SCRIPT_NAME"] == ""  # unchanged
    assert urlmap.enter(environ) == entry
    assert (environ["SCRIPT_NAME"], environ["PATH_INFO"]) == (script_name, path_info)
    called = entry[2](dict(environ), lambda status, headers: None)
    assert json.loads(b"".join(called))["app"] == app
