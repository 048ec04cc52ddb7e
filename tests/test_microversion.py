"""Microversions: the header on the wire, versioned methods, Router and Resource opt-in."""

import pytest
import routes

import stackapi
from conftest import testapp
from stackapi.errors import ConfigError
from stackapi.microversion import APIVersion, Microversions, api_version

MV = Microversions("compute", "2.1", "2.5")


class Things(stackapi.Controller):
    def index(self, req):
        return {"version": str(req.api_version)}

    @api_version("2.1", "2.2")
    def show(self, req, id):
        return {"show": "old", "id": id}

    @show.api_version("2.3")
    @stackapi.response(203)
    def show(self, req, id):  # noqa: F811
        return {"show": "new", "id": id}

    @api_version("2.4")
    def create(self, req, body):
        return {"created": body}

    @stackapi.action("ping")
    @api_version("2.2", "2.3")
    def _ping(self, req, id, body):
        return {"pong": str(req.api_version)}

    @_ping.api_version("2.4")
    @stackapi.response(202)
    def _ping(self, req, id, body):  # noqa: F811
        return None


def mapper_for(resource):
    mapper = routes.Mapper()
    mapper.resource("thing", "things", controller=resource, member={"action": "POST"})
    return mapper


@pytest.fixture
def app():
    return testapp(stackapi.Router(mapper_for(stackapi.Resource(Things())), microversions=MV))


def versioned(value):
    return {"OpenStack-API-Version": value}


# --- APIVersion ----------------------------------------------------------------------


def test_versions_compare_numerically_and_with_strings():
    assert APIVersion.parse("2.10") > APIVersion.parse("2.9")
    assert APIVersion.parse("2.2") == "2.2"
    assert APIVersion.parse("2.2") >= "2.2" and APIVersion.parse("2.2") < "2.3"
    assert APIVersion.parse("2.3").matches("2.1", None)
    assert not APIVersion.parse("2.3").matches(None, "2.2")
    assert {APIVersion(2, 1), APIVersion.parse("2.1")} == {APIVersion(2, 1)}


@pytest.mark.parametrize("text", ["2", "2.", ".1", "02.1", "2.01", "v2.1", "2.1.1", "-2.1", ""])
def test_malformed_versions_are_refused(text):
    with pytest.raises(ValueError, match="MajorNum.MinorNum"):
        APIVersion.parse(text)


# --- the header ----------------------------------------------------------------------


def test_missing_header_is_the_minimum_and_is_echoed(app):
    resp = app.get("/things")
    assert resp.json == {"version": "2.1"}
    assert resp.headers["OpenStack-API-Version"] == "compute 2.1"
    assert resp.headers["Vary"] == "OpenStack-API-Version"


def test_latest_is_the_maximum(app):
    resp = app.get("/things", headers=versioned("compute latest"))
    assert resp.json == {"version": "2.5"}
    assert resp.headers["OpenStack-API-Version"] == "compute 2.5"


def test_service_type_is_case_insensitive_and_other_services_ignored(app):
    resp = app.get("/things", headers=versioned("identity 3.0, COMPUTE 2.3"))
    assert resp.json == {"version": "2.3"}
    assert app.get("/things", headers=versioned("volume 3.9")).json == {"version": "2.1"}


def test_malformed_version_is_400_without_echo(app):
    resp = app.get("/things", headers=versioned("compute 2.x"), status=400)
    assert resp.json["badRequest"]["message"] == (
        "API version string '2.x' is of invalid format. "
        "Must be of format MajorNum.MinorNum or 'latest'."
    )
    assert "OpenStack-API-Version" not in resp.headers


def test_two_entries_for_the_service_are_400(app):
    resp = app.get("/things", headers=versioned("compute 2.1, compute 2.2"), status=400)
    assert "more than once" in resp.json["badRequest"]["message"]


@pytest.mark.parametrize("version", ["2.0", "2.6", "3.1", "1.9"])
def test_out_of_range_is_406_naming_the_range(app, version):
    resp = app.get("/things", headers=versioned(f"compute {version}"), status=406)
    assert resp.json == {
        "apiFault": {
            "code": 406,
            "message": f"Version {version} is not supported by the API. "
            "Minimum is 2.1 and maximum is 2.5.",
        }
    }


def test_faults_of_a_negotiated_request_echo_the_version(app):
    resp = app.get("/nowhere", headers=versioned("compute 2.2"), status=404)
    assert resp.headers["OpenStack-API-Version"] == "compute 2.2"
    assert resp.headers["Vary"] == "OpenStack-API-Version"
    resp = app.put_json("/things", {}, headers=versioned("compute 2.2"), status=405)
    assert resp.headers["OpenStack-API-Version"] == "compute 2.2"


# --- versioned methods ---------------------------------------------------------------


def test_the_variant_for_the_version_answers_with_its_own_status(app):
    old = app.get("/things/7", headers=versioned("compute 2.2"))
    assert (old.status_int, old.json) == (200, {"show": "old", "id": "7"})
    new = app.get("/things/7", headers=versioned("compute 2.3"))
    assert (new.status_int, new.json) == (203, {"show": "new", "id": "7"})


def test_no_variant_for_the_version_is_404_as_nova(app):
    resp = app.post_json("/things", {"a": 1}, headers=versioned("compute 2.3"), status=404)
    assert resp.json == {
        "itemNotFound": {"code": 404, "message": "The resource could not be found."}
    }
    assert resp.headers["OpenStack-API-Version"] == "compute 2.3"
    created = app.post_json("/things", {"a": 1}, headers=versioned("compute 2.4"))
    assert created.json == {"created": {"a": 1}}


def test_versioned_actions(app):
    app.post_json("/things/1/action", {"ping": {}}, status=404)  # 2.1: no variant
    resp = app.post_json("/things/1/action", {"ping": {}}, headers=versioned("compute 2.3"))
    assert resp.json == {"pong": "2.3"}
    resp = app.post_json("/things/1/action", {"ping": {}}, headers=versioned("compute 2.4"))
    assert resp.status_int == 202
    assert Things.wsgi_actions == {"ping": "_ping"}


def test_overlapping_variants_are_refused_at_class_creation():
    with pytest.raises(TypeError, match=r"versions 2\.3 to latest overlap 2\.1 to 2\.3"):

        class Overlap(stackapi.Controller):
            @api_version("2.1", "2.3")
            def show(self, req, id):
                pass

            @show.api_version("2.3")
            def show(self, req, id):  # noqa: F811
                pass


def test_an_empty_range_is_refused():
    with pytest.raises(TypeError, match="is empty"):
        api_version("2.5", "2.1")(lambda self, req: None)


def test_a_versioned_controller_needs_microversions_somewhere():
    with pytest.raises(TypeError, match=r"Things\.show uses @api_version: pass microversions="):
        stackapi.Router(mapper_for(stackapi.Resource(Things())))


def test_a_resource_can_negotiate_by_itself():
    resource = stackapi.Resource(Things(), microversions=MV)
    app = testapp(stackapi.Router(mapper_for(resource)))
    resp = app.get("/things/1", headers=versioned("compute 2.4"))
    assert resp.json == {"show": "new", "id": "1"}
    assert resp.headers["OpenStack-API-Version"] == "compute 2.4"
    # routing faults come from the Router, which does not negotiate here
    assert "OpenStack-API-Version" not in app.get("/nowhere", status=404).headers


def test_the_router_negotiates_once_when_both_are_given():
    resource = stackapi.Resource(Things(), microversions=Microversions("compute", "2.1", "2.9"))
    app = testapp(stackapi.Router(mapper_for(resource), microversions=MV))
    resp = app.get("/things", headers=versioned("compute 2.5"))
    assert resp.headers.getall("OpenStack-API-Version") == ["compute 2.5"]
    app.get("/things", headers=versioned("compute 2.6"), status=406)  # the Router's range


def test_a_vary_header_of_the_app_is_kept():
    class Varying(stackapi.Controller):
        def index(self, req):
            return stackapi.ResponseObject({}, headers={"Vary": "Accept"})

    mapper = routes.Mapper()
    mapper.resource("thing", "things", controller=stackapi.Resource(Varying()))
    app = testapp(stackapi.Router(mapper, microversions=MV))
    assert app.get("/things").headers["Vary"] == "Accept, OpenStack-API-Version"


# --- configuration -------------------------------------------------------------------


def test_an_ini_may_narrow_the_range():
    assert MV.narrowed("", "2.3") == Microversions("compute", "2.1", "2.3")
    assert MV.narrowed("2.2", "") == Microversions("compute", "2.2", "2.5")


@pytest.mark.parametrize(
    ("low", "high", "message"),
    [
        ("", "2.9", "max_version: 2.9 is outside what the code implements (2.1 to 2.5)"),
        ("2.0", "", "min_version: 2.0 is outside what the code implements (2.1 to 2.5)"),
        ("", "two", "max_version: 'two' is not a version of the form MajorNum.MinorNum"),
        ("2.4", "2.3", "min_version: min_version 2.4 is above max_version 2.3"),
    ],
)
def test_a_bad_narrowing_names_the_key(low, high, message):
    with pytest.raises(ConfigError) as caught:
        MV.narrowed(low, high)
    assert str(caught.value).startswith(message)


def test_a_bad_range_in_code_is_refused():
    with pytest.raises(ValueError, match="above max_version"):
        Microversions("compute", "2.5", "2.1")
    with pytest.raises(ValueError, match="service type"):
        Microversions("Compute API", "2.1", "2.2")


# --- legacy headers (nova's X-OpenStack-Nova-API-Version) ----------------------------------

LEGACY = "X-OpenStack-Nova-API-Version"


@pytest.fixture
def legacy_app():
    mv = Microversions("compute", "2.1", "2.5", legacy_headers=(LEGACY,))
    return testapp(stackapi.Router(mapper_for(stackapi.Resource(Things())), microversions=mv))


def test_a_legacy_header_alone_picks_the_version(legacy_app):
    resp = legacy_app.get("/things", headers={LEGACY: "2.4"})
    assert resp.json == {"version": "2.4"}
    assert resp.headers["OpenStack-API-Version"] == "compute 2.4"
    assert resp.headers[LEGACY] == "2.4"
    assert resp.headers["Vary"] == f"OpenStack-API-Version, {LEGACY}"
    assert legacy_app.get("/things", headers={LEGACY: "latest"}).json == {"version": "2.5"}


def test_the_standard_header_wins_over_a_legacy_one(legacy_app):
    headers = {"OpenStack-API-Version": "compute 2.2", LEGACY: "2.4"}
    assert legacy_app.get("/things", headers=headers).json == {"version": "2.2"}
    # an entry for another service leaves the legacy header in charge
    headers = {"OpenStack-API-Version": "identity 3.0", LEGACY: "2.4"}
    assert legacy_app.get("/things", headers=headers).json == {"version": "2.4"}


def test_legacy_header_refusals_as_nova(legacy_app):
    resp = legacy_app.get("/things", headers={LEGACY: "2.9"}, status=406)
    assert resp.json["apiFault"]["message"].startswith("Version 2.9 is not supported")
    resp = legacy_app.get("/things", headers={LEGACY: "two"}, status=400)
    assert "API version string 'two' is of invalid format" in resp.json["badRequest"]["message"]
    # faults of a negotiated request carry both headers, as nova's Fault does
    resp = legacy_app.get("/nothing", headers={LEGACY: "2.3"}, status=404)
    assert (resp.headers[LEGACY], resp.headers["OpenStack-API-Version"]) == ("2.3", "compute 2.3")


def test_without_legacy_headers_they_are_ignored(app):
    resp = app.get("/things", headers={LEGACY: "2.4"})
    assert resp.json == {"version": "2.1"}
    assert LEGACY not in resp.headers


def test_legacy_header_names_are_checked():
    with pytest.raises(ValueError, match="legacy header 'bad header'"):
        Microversions("compute", "2.1", "2.2", legacy_headers=("bad header",))
    narrowed = Microversions("compute", "2.1", "2.5", legacy_headers=(LEGACY,)).narrowed("", "2.3")
    assert narrowed.legacy_headers == (LEGACY,)
