"""sizelimit: 413 overLimit by Content-Length and while a chunked body streams."""

import io
import json
import socket

import pytest
import webob

import stackapi
from conftest import CONFIGS
from conftest import testapp as client
from echo_app import echo_app, pipeline_ini
from stackapi.errors import ConfigError
from stackapi.filters.faultwrap import FaultWrapMiddleware
from stackapi.filters.sizelimit import LimitedInput, SizeLimitMiddleware
from widgets_app import WidgetsRouter

LIMIT = 100


class RecordingInput(io.BytesIO):
    """A wsgi.input that records how many bytes were asked of it."""

    def __init__(self, data):
        super().__init__(data)
        self.reads = []

    def read(self, size=-1):
        data = super().read(size)
        self.reads.append(len(data))
        return data


def chunked_request(path, body, content_type=None):
    """A POST with a chunked body, as eventlet hands it over (no Content-Length)."""
    req = webob.Request.blank(path, method="POST", content_type=content_type)
    req.environ.pop("CONTENT_LENGTH", None)
    req.environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    req.environ["wsgi.input"] = RecordingInput(body)
    req.environ["wsgi.input_terminated"] = True
    return req


def limited(app, limit=LIMIT):
    return FaultWrapMiddleware(SizeLimitMiddleware(app, max_request_body_size=str(limit)))


def send(req, app):
    """Call ``app`` with ``req``'s own environ (webtest would buffer a chunked body)."""
    resp = req.get_response(app)
    assert "CONTENT_LENGTH" not in req.environ  # the body really was streamed
    return resp


def test_a_body_up_to_the_limit_passes():
    resp = client(limited(echo_app)).post("/", b"x" * LIMIT)
    assert resp.json["body_length"] == LIMIT


def test_a_declared_length_over_the_limit_is_413_before_the_app_runs():
    called = []

    def app(environ, start_response):
        called.append(True)
        return echo_app(environ, start_response)

    resp = client(limited(app)).post("/", b"x" * (LIMIT + 1), status=413)
    assert resp.content_type == "application/json"
    assert resp.json == {
        "overLimit": {
            "code": 413,
            "message": f"Request body is larger than the limit of {LIMIT} bytes.",
        }
    }
    assert called == []


def test_expect_100_continue_over_the_limit_is_refused_without_reading():
    req = webob.Request.blank("/", method="PUT", headers={"Expect": "100-continue"})
    req.environ["CONTENT_LENGTH"] = str(10**9)
    req.environ["wsgi.input"] = stream = RecordingInput(b"")
    resp = req.get_response(SizeLimitMiddleware(echo_app, max_request_body_size=str(LIMIT)))
    assert resp.status_int == 413
    assert stream.reads == []


@pytest.mark.parametrize("length", ["abc", "-1"])
def test_an_invalid_content_length_is_400(length):
    req = webob.Request.blank("/", method="POST")
    req.environ["CONTENT_LENGTH"] = length
    resp = req.get_response(SizeLimitMiddleware(echo_app))
    assert resp.status_int == 400
    assert json.loads(resp.body)["badRequest"]["code"] == 400


def test_a_chunked_body_within_the_limit_reaches_the_app():
    resp = send(chunked_request("/", b"y" * LIMIT), limited(echo_app))
    assert resp.json["body_length"] == LIMIT


def test_a_chunked_body_over_the_limit_is_413_through_faultwrap_and_the_app_sees_no_more():
    received = []

    def app(environ, start_response):
        while chunk := environ["wsgi.input"].read(7):
            received.append(len(chunk))
        return echo_app(environ, start_response)

    req = chunked_request("/", b"z" * 10_000)
    stream = req.environ["wsgi.input"]
    resp = send(req, limited(app))
    assert resp.status_int == 413
    assert resp.json["overLimit"]["code"] == 413
    assert 0 < sum(received) <= LIMIT
    assert sum(stream.reads) <= LIMIT + 1


def test_a_chunked_body_over_the_limit_is_413_through_resource():
    body = json.dumps({"polish": {"pad": "p" * 500}}).encode()
    req = chunked_request("/widgets/1/action", body, content_type="application/json")
    resp = send(req, SizeLimitMiddleware(WidgetsRouter(), max_request_body_size="100"))
    assert resp.status_int == 413
    assert resp.content_type == "application/json"
    assert resp.json["overLimit"]["message"].endswith("limit of 100 bytes.")


def test_limited_input_reads_all_at_most_one_byte_past_the_limit():
    stream = RecordingInput(b"a" * 10_000)
    with pytest.raises(webob.exc.HTTPRequestEntityTooLarge):
        LimitedInput(stream, LIMIT).read()
    assert sum(stream.reads) == LIMIT + 1
    assert LimitedInput(io.BytesIO(b"a" * LIMIT), LIMIT).read() == b"a" * LIMIT


def test_limited_input_lines():
    lines = b"".join(b"line %d\n" % i for i in range(30))
    assert list(LimitedInput(io.BytesIO(lines[:LIMIT]), LIMIT)) == lines[:LIMIT].splitlines(True)
    with pytest.raises(webob.exc.HTTPRequestEntityTooLarge):
        LimitedInput(io.BytesIO(lines), LIMIT).readlines()


def test_loaded_from_an_ini(write_ini):
    sections = "[filter:sizelimit]\nuse = egg:stackapi#sizelimit\nmax_request_body_size = 5\n"
    app = client(stackapi.loadapp(str(write_ini(pipeline_ini("sizelimit", sections)))))
    assert app.post("/", b"12345").json["body_length"] == 5
    assert app.post("/", b"123456", status=413).json["overLimit"]["code"] == 413


@pytest.mark.parametrize("value", ["ten", "0", "-5"])
def test_a_bad_limit_is_a_config_error_naming_section_and_key(write_ini, value):
    sections = (
        f"[filter:sizelimit]\nuse = egg:stackapi#sizelimit\nmax_request_body_size = {value}\n"
    )
    with pytest.raises(ConfigError) as err:
        stackapi.loadapp(str(write_ini(pipeline_ini("sizelimit", sections))))
    assert "[filter:sizelimit] max_request_body_size: expected an integer" in str(err.value)


def _exchange(server, request: bytes) -> bytes:
    """Send raw bytes, read until the server closes or a full response arrived (bounded)."""
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        return data


@pytest.mark.slow
def test_live_server_refuses_large_uploads_with_json(run_server):
    server = run_server(CONFIGS / "filters_sizelimit.ini")
    expect = _exchange(
        server,
        b"PUT /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n"
        b"Expect: 100-continue\r\n\r\n",
    )
    assert expect.startswith(b"HTTP/1.1 413 "), expect  # no "100 Continue" first
    assert b'"overLimit"' in expect
    chunk = b"%x\r\n%s\r\n" % (4096, b"c" * 4096)
    chunked = _exchange(
        server,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        b"Connection: close\r\n\r\n" + chunk * 10 + b"0\r\n\r\n",
    )
    assert chunked.startswith(b"HTTP/1.1 413 "), chunked
    assert b"application/json" in chunked and b'"overLimit"' in chunked
    assert b"x-openstack-request-id: req-" in chunked.lower()
