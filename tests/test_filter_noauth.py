"""noauth: X-Auth-Token user:project -> req.context; no token -> 401."""

import pytest

import stackapi
from conftest import testapp as client
from context_app import WhoAmIRouter
from echo_app import echo_app, pipeline_ini
from stackapi.errors import ConfigError
from stackapi.filters.noauth import NoAuthMiddleware
from stackapi.filters.request_id import RequestIdMiddleware
from stackapi.options import Option


@pytest.fixture
def app():
    return client(RequestIdMiddleware(NoAuthMiddleware(WhoAmIRouter())))


def test_user_and_project_from_the_token_roles_from_x_roles(app):
    resp = app.get("/whoami", headers={"X-Auth-Token": "alice:p1", "X-Roles": "Member, reader,"})
    assert resp.json["context"] == {
        "user_id": "alice",
        "project_id": "p1",
        "roles": ["member", "reader"],
        "is_admin": False,
        "request_id": resp.headers["x-openstack-request-id"],
        "global_request_id": None,
    }


def test_a_user_alone_is_its_own_project(app):
    context = app.get("/whoami", headers={"X-Auth-Token": "bob"}).json["context"]
    assert (context["user_id"], context["project_id"]) == ("bob", "bob")


@pytest.mark.parametrize(
    "headers", [{"X-Auth-Token": "admin:p1"}, {"X-Auth-Token": "carol:p1", "X-Roles": "Admin"}]
)
def test_admin_user_or_admin_role_is_admin_and_passes_require_admin(app, headers):
    assert app.get("/whoami", headers=headers).json["context"]["is_admin"] is True
    assert app.delete("/things/1", headers=headers).status_int == 204


def test_require_admin_refuses_others_with_403(app):
    resp = app.delete("/things/1", headers={"X-Auth-Token": "alice:p1"}, status=403)
    assert resp.json["forbidden"]["message"] == "This action is only allowed for admins."


def test_no_token_is_401_json_with_the_request_id(app):
    resp = app.get("/whoami", status=401)
    assert resp.content_type == "application/json"
    assert resp.json["unauthorized"]["code"] == 401
    assert "X-Auth-Token" in resp.json["unauthorized"]["message"]
    assert resp.headers["x-openstack-request-id"].startswith("req-")


@pytest.mark.parametrize("token", [":p1", "alice:", "a b:p1", "alice:p1:x", "x" * 256, " "])
def test_a_malformed_token_is_401(app, token):
    resp = app.get("/whoami", headers={"X-Auth-Token": token}, status=401)
    assert resp.json["unauthorized"]["message"] == "X-Auth-Token must be user:project or user."


def test_without_an_auth_filter_the_context_is_anonymous():
    resp = client(WhoAmIRouter()).get("/whoami")
    assert resp.json["context"]["user_id"] is None
    assert client(WhoAmIRouter()).delete("/things/1", status=403).json["forbidden"]


def test_loaded_from_an_ini(write_ini):
    ini = write_ini(pipeline_ini("noauth", "[filter:noauth]\nuse = egg:stackapi#noauth\n"))
    app = client(stackapi.loadapp(str(ini)))
    assert app.get("/", headers={"X-Auth-Token": "u:p"}).json["context"]["project_id"] == "p"
    app.get("/", status=401)


def test_an_unknown_option_is_a_config_error_naming_section_and_key(write_ini):
    sections = "[filter:noauth]\nuse = egg:stackapi#noauth\nadmin_user = root\n"
    with pytest.raises(ConfigError) as err:
        stackapi.loadapp(str(write_ini(pipeline_ini("noauth", sections))))
    assert "[filter:noauth] admin_user: unknown option" in str(err.value)


def test_the_class_can_be_subclassed_with_its_own_options():
    class StrictNoAuth(NoAuthMiddleware):
        options = (Option("realm", str, "dev"),)

    assert StrictNoAuth(echo_app, realm="x").realm == "x"
    with pytest.raises(ConfigError):
        StrictNoAuth(echo_app, nope="1")
