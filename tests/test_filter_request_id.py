"""request_id: the id on every response, in the environ and in every log record."""

import logging
import re
import subprocess
import sys
import textwrap
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
import webob.exc

import stackapi
from conftest import APPS, CONFIGS
from conftest import testapp as client
from echo_app import echo_app, pipeline_ini
from stackapi.errors import ConfigError
from stackapi.filters.faultwrap import FaultWrapMiddleware
from stackapi.filters.request_id import RequestIdMiddleware, current_request_id

ID = re.compile(r"req-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\Z")
INBOUND = "req-12345678-1234-4234-8234-123456789abc"


@pytest.fixture
def app():
    return client(RequestIdMiddleware(echo_app))


def test_every_response_gets_a_fresh_uuid4_id_that_the_app_saw(app):
    first = app.get("/")
    second = app.get("/")
    header = first.headers["x-openstack-request-id"]
    assert ID.match(header)
    assert first.json["request_id"] == header
    assert second.headers["x-openstack-request-id"] != header


def test_a_valid_inbound_id_is_kept_as_the_global_id_only(app):
    resp = app.get("/", headers={"X-OpenStack-Request-ID": INBOUND})
    assert resp.json["global_request_id"] == INBOUND
    assert resp.headers["x-openstack-request-id"] != INBOUND
    assert ID.match(resp.headers["x-openstack-request-id"])


@pytest.mark.parametrize(
    "inbound",
    [
        "req-not-a-uuid",
        "12345678-1234-4234-8234-123456789abc",
        INBOUND.upper(),
        INBOUND + "x",
        INBOUND + "\nreq-injected",
        "",
    ],
)
def test_anything_else_inbound_is_ignored(app, inbound):
    resp = app.get("/", headers={"X-OpenStack-Request-ID": inbound})
    assert resp.json["global_request_id"] is None
    assert ID.match(resp.headers["x-openstack-request-id"])


def test_faults_carry_the_id_and_an_app_cannot_set_a_second_one():
    def forbidden(environ, start_response):
        raise webob.exc.HTTPForbidden(headers={"x-openstack-request-id": "req-fake"})

    resp = client(RequestIdMiddleware(FaultWrapMiddleware(forbidden))).get("/", status=403)
    assert resp.json["forbidden"]["code"] == 403
    assert resp.headers.getall("x-openstack-request-id") != ["req-fake"]
    assert len(resp.headers.getall("x-openstack-request-id")) == 1
    assert ID.match(resp.headers["x-openstack-request-id"])


def test_log_records_of_the_request_carry_its_id(app, caplog):
    caplog.set_level(logging.INFO)
    resp = app.get("/?log=hello")
    (record,) = [r for r in caplog.records if r.getMessage() == "echo says hello"]
    assert record.request_id == resp.headers["x-openstack-request-id"]
    outside = logging.getLogger("echo").makeRecord("echo", logging.INFO, "f", 1, "m", (), None)
    assert outside.request_id == "-"


def test_the_id_stays_while_the_body_is_iterated_and_is_restored_on_close(caplog):
    caplog.set_level(logging.INFO)
    app = RequestIdMiddleware(echo_app)
    environ = webob.Request.blank("/?stream=1").environ
    body = app(environ, lambda status, headers, exc_info=None: None)
    assert current_request_id.get() == environ["openstack.request_id"]
    chunks = list(body)
    body.close()
    assert current_request_id.get() is None
    (record,) = [r for r in caplog.records if r.getMessage() == "streaming"]
    assert record.request_id == environ["openstack.request_id"]
    assert b"".join(chunks).startswith(b"{")


def test_an_exception_below_restores_the_id():
    def boom(environ, start_response):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        RequestIdMiddleware(boom)(webob.Request.blank("/").environ, None)
    assert current_request_id.get() is None


def test_file_config_formatters_can_use_request_id(tmp_path):
    """As stackapi-server configures logging: fileConfig from the ini, %(request_id)s."""
    ini = tmp_path / "api-paste.ini"
    ini.write_text(
        pipeline_ini("request_id", "[filter:request_id]\nuse = egg:stackapi#request_id\n\n")
        + textwrap.dedent(
            """
            [loggers]
            keys = root
            [handlers]
            keys = out
            [formatters]
            keys = plain
            [logger_root]
            level = INFO
            handlers = out
            [handler_out]
            class = StreamHandler
            args = (sys.stdout,)
            formatter = plain
            [formatter_plain]
            format = [%(request_id)s] %(name)s %(message)s
            """
        )
    )
    script = textwrap.dedent(
        f"""
        import sys, webtest
        sys.path.insert(0, {str(APPS)!r})
        from stackapi.loader import configure_logging, loadapp
        configure_logging({str(ini)!r})
        import logging
        logging.getLogger("before").info("startup")
        resp = webtest.TestApp(loadapp({str(ini)!r})).get("/?log=hi")
        print("HEADER", resp.headers["x-openstack-request-id"])
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    header = re.search(r"HEADER (\S+)", out.stdout).group(1)
    assert f"[{header}] echo echo says hi" in out.stdout
    assert "[-] before startup" in out.stdout


def test_loaded_from_an_ini(write_ini):
    ini = write_ini(
        pipeline_ini("request_id", "[filter:request_id]\nuse = egg:stackapi#request_id\n")
    )
    resp = client(stackapi.loadapp(str(ini))).get("/")
    assert resp.json["request_id"] == resp.headers["x-openstack-request-id"]


def test_an_unknown_option_is_a_config_error_naming_section_and_key(write_ini):
    ini = write_ini(
        pipeline_ini(
            "request_id", "[filter:request_id]\nuse = egg:stackapi#request_id\nheader = x\n"
        )
    )
    with pytest.raises(ConfigError) as err:
        stackapi.loadapp(str(ini))
    assert "[filter:request_id] header: unknown option" in str(err.value)


@pytest.mark.slow
def test_concurrent_requests_keep_their_own_id_in_the_log(run_server):
    server = run_server(CONFIGS / "filters_concurrent.ini")

    def fetch(_):
        url = server.url + "/sleep?seconds=0.3"
        with urllib.request.urlopen(url, timeout=30) as resp:
            return resp.headers["x-openstack-request-id"]

    with ThreadPoolExecutor(max_workers=40) as pool:
        ids = set(pool.map(fetch, range(40)))
    assert len(ids) == 40
    for request_id in ids:  # the record's id and the line's id agree, for every request
        server.wait_log(rf"stackapi\.access \[{request_id}\] .* request_id: {request_id}\n")
    assert not re.search(r"stackapi\.access \[-\]", server.log_text())
