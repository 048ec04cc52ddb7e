"""context: keystonemiddleware's headers -> req.context; anything unconfirmed -> 401."""

import pytest

import stackapi
from conftest import testapp as client
from context_app import WhoAmIRouter
from echo_app import pipeline_ini
from stackapi.errors import ConfigError
from stackapi.filters.context import ContextMiddleware
from stackapi.filters.request_id import RequestIdMiddleware

CONFIRMED = {
    "X-Identity-Status": "Confirmed",
    "X-User-Id": "u-1",
    "X-Project-Id": "p-1",
    "X-Roles": "member,reader",
}
GLOBAL_ID = "req-12345678-1234-4234-8234-123456789abc"


@pytest.fixture
def app():
    return client(RequestIdMiddleware(ContextMiddleware(WhoAmIRouter())))


def test_a_confirmed_identity_becomes_the_context(app):
    resp = app.get("/whoami", headers={**CONFIRMED, "X-OpenStack-Request-ID": GLOBAL_ID})
    assert resp.json["context"] == {
        "user_id": "u-1",
        "project_id": "p-1",
        "roles": ["member", "reader"],
        "is_admin": False,
        "request_id": resp.headers["x-openstack-request-id"],
        "global_request_id": GLOBAL_ID,
    }


def test_the_admin_role_makes_an_admin(app):
    headers = {**CONFIRMED, "X-Roles": "reader, admin"}
    assert app.get("/whoami", headers=headers).json["context"]["is_admin"] is True
    assert app.delete("/things/1", headers=headers).status_int == 204
    app.delete("/things/1", headers=CONFIRMED, status=403)


def test_a_token_without_project_scope_has_no_project(app):
    headers = {k: v for k, v in CONFIRMED.items() if k != "X-Project-Id"}
    assert app.get("/whoami", headers=headers).json["context"]["project_id"] is None


@pytest.mark.parametrize(
    "change",
    [
        {"X-Identity-Status": "Invalid"},
        {"X-Identity-Status": ""},
        {"X-User-Id": ""},
    ],
)
def test_anything_unconfirmed_is_401(app, change):
    headers = {**CONFIRMED, **change}
    resp = app.get("/whoami", headers=headers, status=401)
    assert resp.json["unauthorized"]["code"] == 401
    assert resp.headers["x-openstack-request-id"].startswith("req-")


def test_no_headers_at_all_is_401(app):
    assert app.get("/whoami", status=401).content_type == "application/json"


def test_loaded_from_an_ini(write_ini):
    ini = write_ini(pipeline_ini("context", "[filter:context]\nuse = egg:stackapi#context\n"))
    app = client(stackapi.loadapp(str(ini)))
    assert app.get("/", headers=CONFIRMED).json["context"]["user_id"] == "u-1"
    app.get("/", status=401)


def test_an_unknown_option_is_a_config_error_naming_section_and_key(write_ini):
    sections = "[filter:context]\nuse = egg:stackapi#context\nrequire_project = true\n"
    with pytest.raises(ConfigError) as err:
        stackapi.loadapp(str(write_ini(pipeline_ini("context", sections))))
    assert "[filter:context] require_project: unknown option" in str(err.value)
