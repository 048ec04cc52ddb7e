"""faultwrap: every exception below it -> a JSON fault; 500s reveal nothing."""

import logging

import pytest
import webob
import webob.exc

import stackapi
from conftest import testapp as client
from echo_app import pipeline_ini
from stackapi.errors import ConfigError
from stackapi.faults import GENERIC_500
from stackapi.filters.faultwrap import FaultWrapMiddleware
from stackapi.filters.request_id import RequestIdMiddleware


class FakeTimeout(BaseException):
    """Like eventlet.Timeout: a BaseException that is not SystemExit/KeyboardInterrupt."""


def raising(exc):
    def app(environ, start_response):
        raise exc

    return app


def wrapped(app):
    return client(RequestIdMiddleware(FaultWrapMiddleware(app)))


def test_http_exceptions_keep_status_message_and_headers():
    exc = webob.exc.HTTPMethodNotAllowed(explanation="Not here.", headers={"Allow": "GET"})
    resp = wrapped(raising(exc)).post("/", status=405)
    assert resp.content_type == "application/json"
    assert resp.json == {"badMethod": {"code": 405, "message": "Not here."}}
    assert resp.headers["Allow"] == "GET"


def test_a_returned_http_exception_is_a_fault_too():
    def app(environ, start_response):
        return webob.exc.HTTPConflict(explanation="Busy.")

    resp = wrapped(app).get("/", status=409)
    assert resp.json == {"conflictingRequest": {"code": 409, "message": "Busy."}}


@pytest.mark.parametrize("exc", [ValueError("secret detail"), FakeTimeout("secret detail")])
def test_unexpected_exceptions_are_a_generic_500_with_the_traceback_logged(exc, caplog):
    resp = wrapped(raising(exc)).get("/things?x=1", status=500)
    assert resp.json == {"apiFault": {"code": 500, "message": GENERIC_500}}
    assert b"secret" not in resp.body and type(exc).__name__.encode() not in resp.body
    request_id = resp.headers["x-openstack-request-id"]
    (record,) = [r for r in caplog.records if r.name == "stackapi.faultwrap"]
    assert record.levelno == logging.ERROR
    assert record.exc_info[1] is exc
    assert request_id in record.getMessage() and "GET /things" in record.getMessage()
    assert record.request_id == request_id


@pytest.mark.parametrize("exc", [SystemExit(3), KeyboardInterrupt()])
def test_process_exits_pass_through(exc):
    with pytest.raises(type(exc)):
        wrapped(raising(exc)).get("/")


def test_an_exception_before_the_first_chunk_of_a_stream_is_a_fault():
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield b""
        raise FakeTimeout()

    resp = wrapped(app).get("/", status=500)
    assert resp.json["apiFault"]["message"] == GENERIC_500


def test_an_exception_after_bytes_were_sent_is_logged_and_raised(caplog):
    closed = []

    class Body:
        def __iter__(self):
            yield b"partial"
            raise ValueError("late")

        def close(self):
            closed.append(True)

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return Body()

    body = FaultWrapMiddleware(app)(webob.Request.blank("/").environ, lambda *a: None)
    chunks = iter(body)
    assert next(chunks) == b"partial"
    with pytest.raises(ValueError):
        next(chunks)
    body.close()
    assert closed == [True]
    assert any(r.name == "stackapi.faultwrap" for r in caplog.records)


def test_a_successful_list_body_passes_untouched():
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"fine"]

    assert FaultWrapMiddleware(app)(webob.Request.blank("/").environ, lambda *a: None) == [b"fine"]


def test_loaded_from_an_ini(write_ini):
    ini = write_ini(
        pipeline_ini("faultwrap", "[filter:faultwrap]\nuse = egg:stackapi#faultwrap\n")
    )
    app = stackapi.loadapp(str(ini))
    assert client(app).get("/").status_int == 200


def test_an_unknown_option_is_a_config_error_naming_section_and_key(write_ini):
    ini = write_ini(
        pipeline_ini(
            "faultwrap", "[filter:faultwrap]\nuse = egg:stackapi#faultwrap\ndebug = true\n"
        )
    )
    with pytest.raises(ConfigError) as err:
        stackapi.loadapp(str(ini))
    assert "[filter:faultwrap] debug: unknown option" in str(err.value)
