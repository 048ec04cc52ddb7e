"""healthcheck: GET 200 JSON, HEAD 204, 503 while the disable file exists."""

import pytest

import stackapi
from conftest import testapp as client
from echo_app import echo_app, pipeline_ini
from stackapi.errors import ConfigError
from stackapi.filters.healthcheck import HealthcheckBackend, HealthcheckMiddleware
from stackapi.filters.noauth import NoAuthMiddleware
from stackapi.filters.request_id import RequestIdMiddleware


@pytest.fixture
def disable_file(tmp_path):
    return tmp_path / "disabled"


@pytest.fixture
def app(disable_file):
    # As a pipeline places it: after request_id, before the auth filter.
    health = HealthcheckMiddleware(
        NoAuthMiddleware(echo_app), disable_by_file_path=str(disable_file)
    )
    return client(RequestIdMiddleware(health))


def test_get_is_200_json_without_a_token(app):
    resp = app.get("/healthcheck")
    assert resp.status_int == 200
    assert resp.content_type == "application/json"
    assert resp.json == {"status": "OK"}
    assert resp.headers["x-openstack-request-id"].startswith("req-")


def test_head_is_204_without_a_body(app):
    resp = app.head("/healthcheck")
    assert resp.status_int == 204
    assert resp.body == b""


def test_503_while_the_disable_file_exists(app, disable_file):
    disable_file.write_text("maintenance")
    resp = app.get("/healthcheck", status=503)
    assert resp.json == {
        "serviceUnavailable": {
            "code": 503,
            "message": "The service is disabled for maintenance.",
        }
    }
    assert app.head("/healthcheck", status=503).body == b""
    disable_file.unlink()
    assert app.get("/healthcheck").status_int == 200


def test_other_methods_are_405_with_allow(app):
    resp = app.post("/healthcheck", status=405)
    assert resp.headers["Allow"] == "GET, HEAD"
    assert resp.json["badMethod"]["code"] == 405


def test_other_paths_pass_through_to_auth(app):
    app.get("/healthcheck/more", status=401)
    app.get("/", status=401)
    assert app.get("/x", headers={"X-Auth-Token": "u"}).json["path_info"] == "/x"


def test_the_path_is_an_option():
    app = client(HealthcheckMiddleware(echo_app, path="/ping"))
    assert app.get("/ping").json == {"status": "OK"}
    assert app.get("/healthcheck").json["path_info"] == "/healthcheck"


def test_loaded_from_an_ini(write_ini, disable_file):
    sections = (
        "[filter:healthcheck]\nuse = egg:stackapi#healthcheck\n"
        f"disable_by_file_path = {disable_file}\n"
    )
    app = client(stackapi.loadapp(str(write_ini(pipeline_ini("healthcheck", sections)))))
    assert app.get("/healthcheck").json == {"status": "OK"}
    disable_file.touch()
    app.get("/healthcheck", status=503)


def test_a_bad_path_is_a_config_error_naming_section_and_key(write_ini):
    sections = "[filter:healthcheck]\nuse = egg:stackapi#healthcheck\npath = healthcheck\n"
    with pytest.raises(ConfigError) as err:
        stackapi.loadapp(str(write_ini(pipeline_ini("healthcheck", sections))))
    assert "[filter:healthcheck] path: expected a URL path starting with /" in str(err.value)


# --- backends, as oslo.middleware's: backends = database, disable_by_file -----------------


class Failing(HealthcheckBackend):
    """A backend whose check raises: the probe says 503, not 500."""

    def check(self):
        raise RuntimeError("broken check")


def detailed_app(disable_file, **conf):
    return client(
        HealthcheckMiddleware(
            echo_app,
            disable_by_file_path=str(disable_file),
            detailed="true",
            allowed_source_ranges="10.0.0.0/8, ::1",
            **conf,
        )
    )


def test_detailed_states_go_to_allowed_sources_only(disable_file):
    app = detailed_app(disable_file)
    operator = {"REMOTE_ADDR": "10.1.2.3"}
    resp = app.get("/healthcheck", extra_environ=operator)
    assert resp.json == {
        "status": "OK",
        "backends": {
            "disable_by_file": {
                "available": True,
                "reason": "OK",
                "details": f"{disable_file} does not exist",
            }
        },
    }
    disable_file.touch()
    resp = app.get("/healthcheck", extra_environ=operator, status=503)
    assert resp.json["serviceUnavailable"]["message"] == "The service is disabled for maintenance."
    assert resp.json["serviceUnavailable"]["backends"]["disable_by_file"]["available"] is False
    # Anyone else: the plain answer, no file names.
    resp = app.get("/healthcheck", extra_environ={"REMOTE_ADDR": "192.0.2.1"}, status=503)
    assert "backends" not in resp.json["serviceUnavailable"]
    assert str(disable_file) not in resp.text
    assert app.head("/healthcheck", extra_environ=operator, status=503).body == b""


def test_backends_are_entry_points_named_in_the_ini(write_ini, disable_file):
    sections = (
        "[filter:healthcheck]\nuse = egg:stackapi#healthcheck\n"
        f"backends = disable_by_file\ndisable_by_file_path = {disable_file}\n"
    )
    app = client(stackapi.loadapp(str(write_ini(pipeline_ini("healthcheck", sections)))))
    assert app.get("/healthcheck").json == {"status": "OK"}
    disable_file.touch()
    app.get("/healthcheck", status=503)


def test_no_backend_is_always_ok(disable_file):
    disable_file.touch()
    app = client(
        HealthcheckMiddleware(echo_app, backends="", disable_by_file_path=str(disable_file))
    )
    assert app.get("/healthcheck").json == {"status": "OK"}


def test_a_backend_that_raises_is_unavailable(disable_file, caplog):
    health = HealthcheckMiddleware(echo_app)
    health.checks.append(("failing", Failing(health)))
    resp = client(health).get("/healthcheck", status=503)
    assert resp.json["serviceUnavailable"]["message"] == "A health check failed."
    assert "healthcheck backend failing failed" in caplog.text


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            "backends = disable_by_file, nosuch\n",
            "[filter:healthcheck] backends: unknown backend 'nosuch' (known: database,"
            " disable_by_file)",
        ),
        (
            "detailed = true\n",
            "[filter:healthcheck] allowed_source_ranges: detailed = true answers only",
        ),
        (
            "detailed = true\nallowed_source_ranges = 10.0.0.0/33\n",
            "[filter:healthcheck] allowed_source_ranges: '10.0.0.0/33' is not an IP address",
        ),
    ],
    ids=["unknown backend", "detailed without ranges", "bad range"],
)
def test_bad_backend_options_name_the_key(write_ini, options, message):
    sections = "[filter:healthcheck]\nuse = egg:stackapi#healthcheck\n" + options
    with pytest.raises(ConfigError) as err:
        stackapi.loadapp(str(write_ini(pipeline_ini("healthcheck", sections))))
    assert message in str(err.value)
