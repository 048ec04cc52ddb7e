"""access_log: one INFO line per request on stackapi.access, written when the body closes."""

import logging
import re

import pytest
import webob

import stackapi
from conftest import testapp as client
from echo_app import echo_app, pipeline_ini
from stackapi.errors import ConfigError
from stackapi.filters.access_log import AccessLogMiddleware
from stackapi.filters.faultwrap import FaultWrapMiddleware
from stackapi.filters.noauth import NoAuthMiddleware
from stackapi.filters.request_id import RequestIdMiddleware

LINE = re.compile(
    r'(?P<client>\S+) "(?P<method>\S+) (?P<path>\S+)" status: (?P<status>\d+) '
    r"len: (?P<bytes>\d+) time: (?P<ms>\d+\.\d)ms request_id: (?P<id>req-[0-9a-f-]{36})\Z"
)


@pytest.fixture
def lines(caplog):
    caplog.set_level(logging.INFO, logger="stackapi.access")

    def access_lines():
        return [r for r in caplog.records if r.name == "stackapi.access"]

    return access_lines


def logged(app=echo_app, **options):
    return client(RequestIdMiddleware(AccessLogMiddleware(FaultWrapMiddleware(app), **options)))


def test_one_line_per_request_with_every_field(lines):
    resp = logged().get("/things?limit=1&x=%20y", extra_environ={"REMOTE_ADDR": "192.0.2.9"})
    (record,) = lines()
    assert record.levelno == logging.INFO
    match = LINE.match(record.getMessage())
    assert match, record.getMessage()
    assert match["client"] == "192.0.2.9"
    assert (match["method"], match["path"]) == ("GET", "/things?limit=1&x=%20y")
    assert match["status"] == "200"
    assert int(match["bytes"]) == len(resp.body)
    assert match["id"] == resp.headers["x-openstack-request-id"] == record.request_id


def test_faults_are_logged_with_their_status(lines):
    def boom(environ, start_response):
        raise ValueError("x")

    logged(boom).get("/", status=500)
    logged(NoAuthMiddleware(echo_app)).get("/", status=401)
    assert [LINE.match(r.getMessage())["status"] for r in lines()] == ["500", "401"]


def test_streamed_bytes_are_counted_and_logged_only_on_close(lines):
    app = RequestIdMiddleware(AccessLogMiddleware(echo_app))
    body = app(webob.Request.blank("/?stream=1").environ, lambda *a: None)
    sent = b"".join(body)
    assert lines() == []
    body.close()
    (record,) = lines()
    assert LINE.match(record.getMessage())["bytes"] == str(len(sent))
    assert record.request_id != "-"


def test_a_sized_body_keeps_its_length_for_the_server(lines):
    body = AccessLogMiddleware(echo_app)(webob.Request.blank("/").environ, lambda *a: None)
    assert len(body) == 1
    body.close()
    assert len(lines()) == 1


def test_an_exception_escaping_is_logged_as_500_and_raised(lines):
    def boom(environ, start_response):
        raise ValueError("x")

    with pytest.raises(ValueError):
        client(AccessLogMiddleware(boom)).get("/")
    assert "status: 500" in lines()[0].getMessage()


def test_control_characters_in_the_path_are_escaped(lines):
    req = webob.Request.blank("/")
    req.environ["PATH_INFO"] = '/a\nb "c"\xe9'
    AccessLogMiddleware(echo_app)(req.environ, lambda *a: None).close()
    assert '"GET /a%0Ab%20%22c%22%E9"' in lines()[0].getMessage()


def test_the_format_is_an_option(lines):
    app = logged(NoAuthMiddleware(echo_app), format="{method} {status} {user_id} {user_agent}")
    app.get("/", headers={"X-Auth-Token": "alice:p1", "User-Agent": "probe/1"})
    assert lines()[0].getMessage() == "GET 200 alice probe/1"


def test_nothing_is_done_while_info_is_off(caplog):
    caplog.set_level(logging.WARNING, logger="stackapi.access")
    environ = webob.Request.blank("/?stream=1").environ
    body = AccessLogMiddleware(echo_app)(environ, lambda *a: None)
    assert type(body).__name__ == "generator"  # the app's own body, not wrapped
    assert not [r for r in caplog.records if r.name == "stackapi.access"]


def test_loaded_from_an_ini(write_ini, lines):
    sections = "[filter:access_log]\nuse = egg:stackapi#access_log\nformat = {method} {path}\n"
    ini = write_ini(pipeline_ini("access_log", sections))
    client(stackapi.loadapp(str(ini))).get("/x?y=1")
    assert lines()[0].getMessage() == "GET /x?y=1"


@pytest.mark.parametrize(
    "value, reason",
    [("{client} {colour}", "unknown field 'colour'"), ("{status", "not a valid format")],
)
def test_a_bad_format_is_a_config_error_naming_section_and_key(write_ini, value, reason):
    sections = f"[filter:access_log]\nuse = egg:stackapi#access_log\nformat = {value}\n"
    with pytest.raises(ConfigError) as err:
        stackapi.loadapp(str(write_ini(pipeline_ini("access_log", sections))))
    assert "[filter:access_log] format: " in str(err.value)
    assert reason in str(err.value)
