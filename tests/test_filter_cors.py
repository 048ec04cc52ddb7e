"""cors: headers for allowed origins, preflights answered here, nothing for others."""

import pytest

import stackapi
from conftest import DEMO_INI
from conftest import testapp as client
from demo_config import demo_ini
from echo_app import echo_app, pipeline_ini
from stackapi.errors import ConfigError
from stackapi.filters.cors import CorsMiddleware
from stackapi.filters.noauth import NoAuthMiddleware
from stackapi.filters.request_id import RequestIdMiddleware
from stackapi.testing import app_from_ini

ORIGIN = "https://dashboard.example.com"
PREFLIGHT = {"Origin": ORIGIN, "Access-Control-Request-Method": "DELETE"}


def cors(app=echo_app, **options):
    options.setdefault("allowed_origin", f"{ORIGIN}, http://localhost:8080")
    return client(RequestIdMiddleware(CorsMiddleware(app, **options)))


def cors_headers(resp):
    return {k: v for k, v in resp.headers.items() if k.lower().startswith("access-control-")}


def test_an_allowed_origin_gets_the_headers_and_vary():
    resp = cors().get("/", headers={"Origin": ORIGIN})
    assert cors_headers(resp) == {
        "Access-Control-Allow-Origin": ORIGIN,
        "Access-Control-Expose-Headers": "X-OpenStack-Request-ID, Location",
    }
    assert resp.headers["Vary"] == "Origin"


def test_a_disallowed_origin_gets_no_cors_headers_even_if_the_app_set_some():
    def app(environ, start_response):
        start_response("200 OK", [("Access-Control-Allow-Origin", "*"), ("Vary", "Accept")])
        return [b""]

    resp = cors(app).get("/", headers={"Origin": "https://evil.example"})
    assert cors_headers(resp) == {}
    assert resp.headers["Vary"] == "Accept, Origin"


def test_no_origin_no_change():
    resp = cors().get("/")
    assert cors_headers(resp) == {} and "Vary" not in resp.headers


def test_a_preflight_is_answered_here():
    called = []

    def app(environ, start_response):
        called.append(True)
        return echo_app(environ, start_response)

    headers = {**PREFLIGHT, "Access-Control-Request-Headers": "x-auth-token, content-type"}
    resp = cors(app, max_age="600").options("/servers/1", headers=headers)
    assert resp.status_int == 200 and resp.body == b""
    assert "Content-Type" not in resp.headers
    assert cors_headers(resp) == {
        "Access-Control-Allow-Origin": ORIGIN,
        "Access-Control-Expose-Headers": "X-OpenStack-Request-ID, Location",
        "Access-Control-Allow-Methods": "GET, HEAD, POST, PUT, PATCH, DELETE",
        "Access-Control-Allow-Headers": "x-auth-token, content-type",
        "Access-Control-Max-Age": "600",
    }
    assert resp.headers["x-openstack-request-id"].startswith("req-")
    assert called == []


@pytest.mark.parametrize(
    "headers, reason",
    [
        ({"Origin": "https://evil.example"}, "Origin https://evil.example is not allowed."),
        ({"Access-Control-Request-Method": "PURGE"}, "Method PURGE is not allowed."),
        ({"Access-Control-Request-Headers": "X-Secret"}, "Header X-Secret is not allowed."),
    ],
)
def test_a_refused_preflight_is_a_403_fault_without_cors_headers(headers, reason):
    resp = cors().options("/", headers={**PREFLIGHT, **headers}, status=403)
    assert cors_headers(resp) == {}
    assert resp.json["forbidden"]["message"] == f"CORS preflight refused: {reason}"


def test_faults_from_the_auth_filter_below_carry_cors_headers():
    resp = cors(NoAuthMiddleware(echo_app)).get("/", headers={"Origin": ORIGIN}, status=401)
    assert resp.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_wildcard_origin_and_credentials():
    resp = cors(allowed_origin="*").get("/", headers={"Origin": "https://any.example"})
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    resp = cors(allowed_origin="*", allow_credentials="true").get(
        "/", headers={"Origin": "https://any.example"}
    )
    assert resp.headers["Access-Control-Allow-Origin"] == "https://any.example"
    assert resp.headers["Access-Control-Allow-Credentials"] == "true"


def test_nothing_is_allowed_by_default():
    resp = client(CorsMiddleware(echo_app)).get("/", headers={"Origin": ORIGIN})
    assert cors_headers(resp) == {}


def test_loaded_from_an_ini(write_ini):
    sections = (
        "[filter:cors]\nuse = egg:stackapi#cors\n"
        f"allowed_origin = {ORIGIN}\nallow_methods = GET, post\nexpose_headers =\n"
    )
    app = client(stackapi.loadapp(str(write_ini(pipeline_ini("cors", sections)))))
    resp = app.options("/", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"})
    assert resp.headers["Access-Control-Allow-Methods"] == "GET, POST"
    assert "Access-Control-Expose-Headers" not in resp.headers


@pytest.mark.parametrize(
    "key, value, reason",
    [
        ("max_age", "-1", "expected a number of seconds >= 0"),
        ("allow_credentials", "maybe", "expected true or false"),
        ("allowed_origin", "dashboard.example.com", "is not an origin"),
    ],
)
def test_bad_values_are_config_errors_naming_section_and_key(write_ini, key, value, reason):
    sections = f"[filter:cors]\nuse = egg:stackapi#cors\n{key} = {value}\n"
    with pytest.raises(ConfigError) as err:
        stackapi.loadapp(str(write_ini(pipeline_ini("cors", sections))))
    assert f"[filter:cors] {key}: " in str(err.value)
    assert reason in str(err.value)


def test_an_empty_max_age_sends_none():
    resp = cors(max_age="").options("/", headers=PREFLIGHT)
    assert resp.status_int == 200
    assert "Access-Control-Max-Age" not in resp.headers
    assert cors().options("/", headers=PREFLIGHT).headers["Access-Control-Max-Age"] == "3600"


# -- the shipped order: what a browser UI reads (tests/test_browser.py: in a real browser)


def test_the_demo_has_cors_above_faultwrap():
    text = DEMO_INI.read_text()
    for line in text.splitlines():
        if line.startswith("pipeline =") and "faultwrap" in line:
            words = line.split()
            assert words.index("cors") < words.index("faultwrap"), line


@pytest.fixture
def demo_client(tmp_path):
    ini = demo_ini(tmp_path, api_options="extensions = crash_extension:Crash")
    return app_from_ini(ini)


DEMO_ORIGIN = {"Origin": "http://localhost:8080"}


def test_a_500_keeps_its_cors_headers_and_request_id(demo_client):
    headers = {**DEMO_ORIGIN, "X-Auth-Token": "alice:demo"}
    resp = demo_client.post_json(
        "/v2.1/servers/1/action", {"crash": {}}, headers=headers, status=500
    )
    assert list(resp.json) == ["apiFault"]
    assert resp.headers["Access-Control-Allow-Origin"] == "http://localhost:8080"
    assert "X-OpenStack-Request-ID" in resp.headers["Access-Control-Expose-Headers"]
    assert resp.headers["x-openstack-request-id"].startswith("req-")


def test_the_guards_400_keeps_cors_headers_and_its_preflight_is_answered(demo_client):
    resp = demo_client.get("/v2.1/servers/%ff", headers=DEMO_ORIGIN, status=400)
    assert resp.json == {"badRequest": {"code": 400, "message": "The URL is not valid UTF-8."}}
    assert resp.headers["Access-Control-Allow-Origin"] == "http://localhost:8080"
    assert resp.headers["Vary"] == "Origin"
    preflight = {**DEMO_ORIGIN, "Access-Control-Request-Method": "GET",
                 "Access-Control-Request-Headers": "x-auth-token"}  # fmt: skip
    resp = demo_client.options("/v2.1/servers/%ff", headers=preflight)
    assert resp.status_int == 200
    assert resp.headers["Access-Control-Allow-Headers"] == "x-auth-token"
    # an origin the filter does not allow gets none, from the Guard as from the filter
    resp = demo_client.get(
        "/v2.1/servers/%ff", headers={"Origin": "https://evil.example"}, status=400
    )
    assert "Access-Control-Allow-Origin" not in resp.headers
