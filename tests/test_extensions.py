"""Extensions: actions and response fields added to a resource without editing it."""

import pytest
import routes
import webob.exc

import stackapi
from conftest import CONFIGS, testapp
from demo_config import demo_ini
from server_extras import ServerExtras
from stackapi.cli import main
from stackapi.demo.images import CIRROS
from stackapi.errors import ConfigError
from stackapi.extensions import Extension, extends, load_extensions
from stackapi.microversion import Microversions, api_version


class Widgets(stackapi.Controller):
    def index(self, req):
        return {"widgets": [{"id": "1"}]}

    def show(self, req, id):
        return {"widget": {"id": id}}

    def delete(self, req, id):
        return None

    @stackapi.action("polish")
    @stackapi.response(202)
    def _polish(self, req, id, body):
        return None


class Shine(Extension):
    collection = "widgets"

    @extends
    def show(self, req, resp_obj, id):
        resp_obj.obj["widget"]["shine"] = "bright"

    @extends
    def delete(self, req, resp_obj, id):
        resp_obj.headers["X-Deleted"] = id

    @extends(action="polish")
    def _after_polish(self, req, resp_obj, id, body):
        resp_obj.code = 200
        resp_obj.obj = {"polished": id}

    @stackapi.action("buff")
    def _buff(self, req, id, body):
        return {"buffed": id, "body": body}


class Veto(Extension):
    collection = "widgets"

    @extends
    def index(self, req, resp_obj):
        if req.GET.get("veto"):
            raise webob.exc.HTTPConflict(explanation="Vetoed.")
        resp_obj.obj["vetoed"] = False


def make_app(*extensions, microversions=None):
    mapper = routes.Mapper()
    resource = stackapi.Resource(Widgets())
    mapper.resource("widget", "widgets", controller=resource, member={"action": "POST"})
    router = stackapi.Router(mapper, extensions=extensions, microversions=microversions)
    return testapp(router)


@pytest.fixture
def app():
    return make_app(Shine(), Veto())


def test_a_field_is_added_to_a_response(app):
    assert app.get("/widgets/3").json == {"widget": {"id": "3", "shine": "bright"}}


def test_headers_and_status_of_an_empty_response(app):
    resp = app.delete("/widgets/3")
    assert (resp.status_int, resp.headers["X-Deleted"]) == (204, "3")


def test_an_action_is_extended(app):
    resp = app.post_json("/widgets/3/action", {"polish": {}})
    assert (resp.status_int, resp.json) == (200, {"polished": "3"})


def test_an_action_is_added(app):
    resp = app.post_json("/widgets/3/action", {"buff": {"hard": True}})
    assert resp.json == {"buffed": "3", "body": {"buff": {"hard": True}}}
    resp = app.post_json("/widgets/3/action", {"scrub": {}}, status=400)
    assert resp.json["badRequest"]["message"] == "There is no such action: scrub"


def test_a_hook_may_refuse(app):
    assert app.get("/widgets").json == {"widgets": [{"id": "1"}], "vetoed": False}
    resp = app.get("/widgets?veto=1", status=409)
    assert resp.json == {"conflictingRequest": {"code": 409, "message": "Vetoed."}}


def test_the_extended_controller_is_untouched():
    app = make_app()
    assert app.get("/widgets/3").json == {"widget": {"id": "3"}}
    app.post_json("/widgets/3/action", {"buff": {}}, status=400)


def test_hooks_without_a_variant_for_the_version_are_skipped():
    class Later(Extension):
        collection = "widgets"

        @extends
        @api_version("2.5")
        def show(self, req, resp_obj, id):
            resp_obj.obj["widget"]["later"] = True

    app = make_app(Later(), microversions=Microversions("widgets", "2.1", "2.9"))
    assert app.get("/widgets/1").json == {"widget": {"id": "1"}}
    newer = app.get("/widgets/1", headers={"OpenStack-API-Version": "widgets 2.5"})
    assert newer.json == {"widget": {"id": "1", "later": True}}


def test_a_versioned_hook_needs_microversions():
    class Versioned(Extension):
        collection = "widgets"

        @extends
        @api_version("2.5")
        def show(self, req, resp_obj, id):
            pass

    with pytest.raises(TypeError, match=r"Versioned\.show uses @api_version"):
        make_app(Versioned())


def test_an_action_name_taken_twice_is_refused():
    class Again(Extension):
        collection = "widgets"

        @stackapi.action("polish")
        def _polish_again(self, req, id, body):
            pass

    with pytest.raises(TypeError, match="Again: action 'polish' is already Widgets's"):
        make_app(Again())
    with pytest.raises(TypeError, match="action 'buff' is already another extension's"):
        make_app(Shine(), Shine())


def test_an_unknown_collection_is_a_config_error():
    class Lost(Extension):
        collection = "gadgets"

    with pytest.raises(ConfigError) as caught:
        make_app(Lost())
    assert str(caught.value) == (
        "extensions: an extension extends 'gadgets', but no collection has that name "
        "(known: widgets)"
    )


def test_load_extensions_from_the_ini_option():
    (built,) = load_extensions("server_extras:ServerExtras")
    assert isinstance(built, ServerExtras)
    assert built.wsgi_actions == {"ping": "_ping"}
    assert built.wsgi_extensions == {
        "show": ["show"],
        "detail": ["detail"],
        "action:pause": ["_paused"],
    }
    assert load_extensions("") == []


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ("server_extras", "expected module:Class, got 'server_extras'"),
        ("no_such_module:X", "cannot import 'no_such_module'"),
        ("server_extras:Nope", "module 'server_extras' has no 'Nope'"),
        ("server_extras:NotAnExtension", "is not a stackapi Extension subclass"),
        ("stackapi.extensions:Extension", "does not name its collection"),
    ],
)
def test_a_bad_extension_entry_names_the_key(spec, reason):
    with pytest.raises(ConfigError) as caught:
        load_extensions(spec)
    assert str(caught.value).startswith("extensions: ")
    assert reason in str(caught.value)


def test_wired_from_the_ini_into_the_demo(tmp_path):
    ini = demo_ini(tmp_path, api_options="extensions = server_extras:ServerExtras")
    app = testapp(stackapi.loadapp(str(ini)))
    alice = {"X-Auth-Token": "alice:demo"}
    body = {"server": {"name": "web", "flavorRef": "1", "imageRef": CIRROS}}
    server_id = app.post_json("/v2.1/servers", body, headers=alice).json["server"]["id"]

    assert (
        app.get(f"/v2.1/servers/{server_id}", headers=alice).json["server"]["extras:name_length"]
        == 3
    )
    detail = app.get("/v2.1/servers/detail", headers=alice).json["servers"][0]
    assert "extras:name_length" not in detail  # that hook is for 2.2 and later
    later = {**alice, "OpenStack-API-Version": "compute 2.2"}
    detail = app.get("/v2.1/servers/detail", headers=later).json["servers"][0]
    assert detail["extras:name_length"] == 3

    url = f"/v2.1/servers/{server_id}/action"
    resp = app.post_json(url, {"pause": None}, headers=alice)
    assert (resp.status_int, resp.headers["X-Paused-By"]) == (202, "alice")
    resp = app.post_json(url, {"ping": {}}, headers=later)
    assert resp.json == {"pong": {"id": server_id, "version": "2.2"}}


def test_a_bad_extension_in_the_ini_names_file_section_and_key(tmp_path):
    ini = demo_ini(tmp_path, api_options="extensions = server_extras:NotAnExtension")
    with pytest.raises(ConfigError) as caught:
        stackapi.loadapp(str(ini))
    assert str(caught.value) == (
        f"{ini}: [app:compute_api] extensions: "
        "'server_extras:NotAnExtension' is not a stackapi Extension subclass"
    )


def test_an_extension_class_instead_of_an_instance_is_refused_at_load(capsys):
    path = CONFIGS / "loader_extension_class.ini"
    assert main(["--config", str(path), "--check"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"stackapi-server: error: {path}: [app:api] extensions: Shine is a class; pass an "
        "instance, Shine() (or stackapi.extensions.load_extensions('module:Class'))\n"
    )
