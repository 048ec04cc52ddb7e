"""The server's own promises, seen by a plain WSGI app: targets, hosts, fields, the environ,
and bodies that break while the app reads them.

tests/configs/wire.ini serves tests/apps/wire_app.py with nothing but the Guard in
between, so what the app sees is what the server made of the bytes (RFC 9112).
"""

from __future__ import annotations

import json
import re
import socket
import struct
import time

import pytest

from conftest import CONFIGS

from .conftest import assert_fault, start_server
from .rawhttp import Connection, chunk, request

pytestmark = pytest.mark.slow  # every case talks to a real stackapi-server

WIRE_INI = CONFIGS / "wire.ini"


class Wire:
    """The wire server as one test sees it: raw exchanges and its log since the test began."""

    def __init__(self, server) -> None:
        self.server = server
        self.address = ("127.0.0.1", server.port)
        self.mark = server.log_size()

    def connect(self, timeout: float = 10.0) -> Connection:
        return Connection(self.address, timeout=timeout)

    def exchange(self, data: bytes, method: str = "GET"):
        with self.connect() as conn:
            conn.send(data)
            return conn.read_response(method)

    def environ(self, data: bytes) -> dict:
        resp = self.exchange(data)
        assert resp.status == 200, resp.raw
        return resp.json()

    def log(self) -> str:
        return self.server.log_text(self.mark)

    def still_serving(self) -> None:
        resp = self.exchange(request("GET", "/probe"))
        assert (resp.status, resp.json()) == (200, {"ok": True}), resp.raw
        time.sleep(0.05)
        log = self.log()
        assert "Traceback" not in log and " ERROR " not in log, log


@pytest.fixture(scope="module")
def wire_server(tmp_path_factory):
    server = start_server(WIRE_INI, tmp_path_factory.mktemp("wire"))
    yield server
    server.kill()
    assert "Traceback" not in server.log_text(), f"a traceback in {server.log_path}"


@pytest.fixture
def wire(wire_server) -> Wire:
    return Wire(wire_server)


def refused(wire: Wire, data: bytes, status: int = 400) -> dict:
    """``data`` is answered with the server's fault of ``status``, and the connection closes."""
    with wire.connect() as conn:
        conn.send(data)
        resp = conn.read_response()
        fault = assert_fault(resp, status)
        assert resp.header("Connection") == "close"
        assert resp.header("x-openstack-request-id").startswith("req-")
        assert conn.closed_by_server()
    return fault


# --- request targets (RFC 9112 3.2) -----------------------------------------------------
def test_an_absolute_form_target_is_its_path_and_its_host(wire):
    seen = wire.environ(
        b"GET http://api.example.com:8774/environ?x=1 HTTP/1.1\r\nHost: other.test\r\n\r\n"
    )
    assert seen["PATH_INFO"] == "/environ" and seen["QUERY_STRING"] == "x=1"
    assert seen["HTTP_HOST"] == "api.example.com:8774"  # 3.2.2: the target's authority wins
    assert seen["RAW_URI"] == "http://api.example.com:8774/environ?x=1"
    wire.still_serving()


@pytest.mark.parametrize(
    "target",
    ["foo/bar", "example.com:443", "*", "ftp://example.com/environ", "http:///environ",
     "http://user@example.com/environ", "%2Fenviron"],
)  # fmt: skip
def test_a_target_that_is_not_a_path_is_400(wire, target):
    refused(wire, f"GET {target} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
    wire.still_serving()


def test_the_asterisk_is_for_options_only(wire):
    resp = wire.exchange(b"OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n")
    assert resp.status == 200, resp.raw  # it reaches the app, which answers what it can
    refused(wire, b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
    wire.still_serving()


def test_a_fragment_is_400_and_never_reaches_the_query(wire):
    fault = refused(wire, b"GET /environ?x=1#frag HTTP/1.1\r\nHost: t\r\n\r\n")
    assert "fragment" in fault["message"]
    wire.still_serving()


def test_the_path_reaches_the_app_as_sent(wire):
    seen = wire.environ(b"GET ///environ//x/?q=%41 HTTP/1.1\r\nHost: t\r\n\r\n")
    assert seen["PATH_INFO"] == "///environ//x/"  # not collapsed
    assert seen["QUERY_STRING"] == "q=%41"  # not decoded
    assert seen["RAW_URI"] == "///environ//x/?q=%41"
    seen = wire.environ(b"GET /environ/caf%C3%A9 HTTP/1.1\r\nHost: t\r\n\r\n")
    assert seen["PATH_INFO"] == "/environ/caf\u00c3\u00a9"  # PEP 3333: bytes as latin-1


@pytest.mark.parametrize("escape", ["%2F", "%2f"])
def test_an_encoded_slash_is_400_by_default(wire, escape):
    fault = refused(wire, f"GET /environ/a{escape}b HTTP/1.1\r\nHost: t\r\n\r\n".encode())
    assert fault["message"] == "The request path must not contain an encoded slash (%2F)."
    seen = wire.environ(f"GET /environ?a{escape}b HTTP/1.1\r\nHost: t\r\n\r\n".encode())
    assert seen["QUERY_STRING"] == f"a{escape}b"  # the query may carry one
    wire.still_serving()


def test_allow_encoded_slashes_lets_them_through(run_server):
    server = run_server(WIRE_INI, "--allow-encoded-slashes", "true")
    seen = Wire(server).environ(b"GET /environ/a%2Fb HTTP/1.1\r\nHost: t\r\n\r\n")
    assert seen["PATH_INFO"] == "/environ/a/b" and seen["RAW_URI"] == "/environ/a%2Fb"


# --- Host (RFC 9110 7.2, RFC 9112 3.2) ----------------------------------------------------
@pytest.mark.parametrize(
    "host",
    ["a@evil b", 'evil.test"', '"quoted"', "[::1", "::1", "exa mple.test", "a/b", "h:8o"],
)
def test_an_invalid_host_is_400(wire, host):
    fault = refused(wire, f"GET /environ HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    assert fault["message"] == "The Host header is not a valid host[:port]."
    wire.still_serving()


@pytest.mark.parametrize("host", ["api.example.com:8774", "[::1]:8774", "10.0.0.1", ""])
def test_a_valid_host_reaches_the_app(wire, host):
    seen = wire.environ(f"GET /environ HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    assert seen["HTTP_HOST"] == host


def test_http_1_1_needs_exactly_one_host(wire):
    fault = refused(wire, b"GET /environ HTTP/1.1\r\nX-A: 1\r\n\r\n")
    assert fault["message"] == "An HTTP/1.1 request needs a Host header."
    refused(wire, b"GET /environ HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n")
    with wire.connect() as conn:  # HTTP/1.0 had no Host
        conn.send(b"GET /environ HTTP/1.0\r\n\r\n")
        resp = conn.read_response()
        assert resp.status == 200 and "HTTP_HOST" not in resp.json()
    wire.still_serving()


# --- fields ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "fields",
    [["Content-Type: application/json", "Content-Type: text/plain"],
     ["X-Auth-Token: a", "X-Auth-Token: b"],
     ["Authorization: Basic a", "authorization: Basic b"]],
    ids=["content-type", "x-auth-token", "authorization"],
)  # fmt: skip
def test_a_repeated_singleton_field_is_400(wire, fields):
    head = "GET /environ HTTP/1.1\r\nHost: t\r\n" + "".join(f + "\r\n" for f in fields)
    fault = refused(wire, head.encode() + b"\r\n")
    assert fault["message"].startswith("The request has more than one ")
    wire.still_serving()


def test_list_fields_may_repeat_and_are_joined(wire):
    seen = wire.environ(b"GET /environ HTTP/1.1\r\nHost: t\r\nX-Multi: a\r\nX-Multi: b\r\n\r\n")
    assert seen["HTTP_X_MULTI"] == "a,b"


def test_an_expectation_other_than_100_continue_is_417(wire):
    head = b"GET /environ HTTP/1.1\r\nHost: t\r\nExpect: something-else\r\n\r\n"
    refused(wire, head, 417)
    wire.still_serving()


# --- the environ (PEP 3333) -------------------------------------------------------------
def test_the_environ_of_a_plain_get(wire):
    seen = wire.environ(b"GET /environ?a=1 HTTP/1.1\r\nHost: api.test:8774\r\n\r\n")
    assert seen == {
        "GATEWAY_INTERFACE": "CGI/1.1",
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/environ",
        "QUERY_STRING": "a=1",
        "RAW_URI": "/environ?a=1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": str(wire.server.port),
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "api.test:8774",
        "wsgi.url_scheme": "http",
        "wsgi.input_terminated": True,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.version": [1, 0],
    }  # no CONTENT_TYPE or CONTENT_LENGTH invented


def test_server_protocol_is_the_requests_own(wire):
    assert wire.environ(b"GET /environ HTTP/1.0\r\n\r\n")["SERVER_PROTOCOL"] == "HTTP/1.0"
    body = b"{}"
    head = b"POST /environ HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
    seen = wire.environ(head + b"Content-Length: 2\r\n\r\n" + body)
    assert (seen["CONTENT_TYPE"], seen["CONTENT_LENGTH"]) == ("application/json", "2")


def test_an_upgrade_request_is_served_as_http_1_1_then_closed(wire):
    head = b"GET /environ HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"
    with wire.connect() as conn:
        conn.send(head + request("GET", "/probe"))
        resp = conn.read_response()
        assert resp.status == 200 and resp.header("Connection") == "close"
        assert conn.closed_by_server() and conn.buffer == b""
    wire.still_serving()


# --- bodies that break while a plain WSGI app reads them ---------------------------------
def read_head(headers: str) -> bytes:
    return f"POST /read HTTP/1.1\r\nHost: t\r\n{headers}\r\n".encode()


CHUNKED = read_head("Transfer-Encoding: chunked\r\n")


@pytest.mark.parametrize(
    "framing, body",
    [
        ("Content-Length: 5", b"hello"),
        ("Transfer-Encoding: chunked", chunk(b"hello") + b"0\r\n\r\n"),
    ],
    ids=["content-length", "chunked"],
)
def test_an_upgrade_request_with_a_body_is_400_not_an_empty_body(wire, framing, body):
    # httptools stops at such a head as if the message had ended: the app would read b"".
    head = read_head(f"Connection: Upgrade\r\nUpgrade: h2c\r\n{framing}\r\n")
    fault = refused(wire, head + body)
    assert fault["message"] == "A request asking for a protocol upgrade cannot have a body here."
    wire.still_serving()


@pytest.mark.parametrize(
    "data",
    [CHUNKED + b"zz\r\nabc\r\n0\r\n\r\n",
     CHUNKED + chunk(b"abcdef", "3") + b"0\r\n\r\n",
     CHUNKED + chunk(b"abc") + b"0\r\nHost: evil\r\n\r\n",
     CHUNKED + chunk(b"abc") + b"0\r\nContent-Length: 9\r\n\r\n",
     CHUNKED + chunk(b"abc") + b"0\r\nTransfer-Encoding: chunked\r\n\r\n"],
    ids=["bad-chunk-size", "chunk-longer-than-its-size", "host-trailer",
         "content-length-trailer", "transfer-encoding-trailer"],
)  # fmt: skip
def test_a_framing_error_seen_by_a_plain_app_is_the_servers_400(wire, data):
    fault = refused(wire, data)
    assert fault["code"] == 400
    log = wire.log()
    assert re.search(r"INFO stackapi.server \[-\] the body of 'POST /read HTTP/1.1' .*: 400 ", log)
    assert " 500 " not in log and "Traceback" not in log, log
    wire.still_serving()


def test_a_body_shorter_than_its_content_length_is_400(wire):
    with wire.connect() as conn:
        conn.send(read_head("Content-Length: 100\r\n") + b"x" * 40)
        conn.shutdown_write()  # the client is done: 40 of 100 bytes
        fault = assert_fault(conn.read_response(), 400)
        assert fault["message"] == "The request body ended after 40 of 100 bytes."
        assert conn.closed_by_server()
    wire.still_serving()


def test_a_body_trickled_past_client_body_timeout_is_408(run_server):
    server = run_server(WIRE_INI, "--client-body-timeout", "1.5")
    wire = Wire(server)
    with wire.connect() as conn:
        conn.send(read_head("Content-Length: 100\r\n"))
        start = time.monotonic()
        for _ in range(40):  # a byte every 0.25 s: each read is quick, the total is not
            try:
                conn.send(b"x")
            except OSError:
                break
            if conn.closed_by_server(0.25):
                break
        waited = time.monotonic() - start
        head, _, body = conn.buffer.partition(b"\r\n\r\n")  # what came before the close
    assert head.startswith(b"HTTP/1.1 408 ") and b"Connection: close" in head, head
    assert json.loads(body) == {
        "apiFault": {"code": 408, "message": "The request body did not arrive within 1.5s."}
    }
    assert 1.0 < waited < 8.0
    wire.still_serving()


def test_a_body_that_arrived_in_time_is_read_after_a_wait_for_a_request_slot(run_server):
    # The one slot is busy for 2.5 s; the body arrives 0.2 s after its head, well within
    # client_body_timeout, and is still there when the slot frees: the server was late.
    server = run_server(WIRE_INI, "--pool-size", "1", "--client-body-timeout", "1")
    wire = Wire(server)
    with wire.connect() as busy, wire.connect() as conn:
        busy.send(request("GET", "/sleep?s=2.5"))
        time.sleep(0.3)
        conn.send(request("POST", "/read", headers={"Content-Length": "5"}, body=b""))
        time.sleep(0.2)
        conn.send(b"hello")
        assert busy.read_response().status == 200
        response = conn.read_response()
        assert response.status == 200, response.body
        assert json.loads(response.body) == {"read": 5}
    wire.still_serving()


def test_a_client_that_does_not_read_its_response_holds_no_request_slot(run_server):
    # 20 MiB of response to a client that reads none of it: the write stalls, for up to
    # client_socket_timeout (8 s); meanwhile the one slot serves the others.
    server = run_server(WIRE_INI, "--pool-size", "1", "--client-socket-timeout", "8")
    wire = Wire(server)
    with wire.connect() as stalled:
        stalled.send(request("GET", "/stream?chunks=20480&delay=0"))
        time.sleep(1.0)  # its writes fill the kernel's buffers and wait
        start = time.monotonic()
        for _ in range(3):
            with wire.connect() as conn:
                conn.send(request("GET", "/environ"))
                assert conn.read_response().status == 200
        assert time.monotonic() - start < 4.0  # not after the stalled write gave up
    wire.still_serving()


def test_chunk_extensions_count_against_their_own_cap(wire):
    # One size line of 1 MB: refused at max_header_line, long before the megabyte.
    fault = refused(wire, CHUNKED + b"3;" + b"x" * 1_000_000)
    assert fault["message"] == "A chunk-size or trailer line is longer than 16384 bytes."
    # Many lines of 1-byte chunks with extensions: refused once they pass 64 KiB.
    with wire.connect() as conn:
        conn.send(CHUNKED)
        line = chunk(b"a", "1;" + "e" * 4000)
        answered = False
        for _ in range(200):  # 800 KB of extensions at most
            try:
                conn.send(line)
            except OSError:
                break
            if not answered:
                answered = wire.exchange(request("GET", "/probe")).status == 200
        assert answered  # the server stayed responsive meanwhile
        fault = assert_fault(conn.read_response(), 400)
        assert fault["message"] == "The chunk extensions and trailers are larger than 65536 bytes."
    wire.still_serving()


def test_an_unread_small_body_keeps_the_connection_a_large_one_closes_it(wire):
    with wire.connect() as conn:  # /probe never reads its body
        conn.send(request("POST", "/probe", body=b"x" * 1000) + request("GET", "/probe"))
        assert conn.read_response().status == 200
        assert conn.read_response().status == 200  # drained: the next request follows
    with wire.connect() as conn:
        conn.send(request("POST", "/probe", [("Content-Length", str(10_000_000))]))
        conn.send(b"x" * 70_000)
        resp = conn.read_response()
        assert resp.status == 200
        assert resp.header("Connection") == "close"  # said, not only done (RFC 9110 10.1.1)
        assert conn.closed_by_server()  # more than 64 KiB left unread: closed, not drained
    with wire.connect() as conn:  # a 100 Continue never sent: the client holds its body back
        head = [("Expect", "100-continue"), ("Content-Length", "5")]
        conn.send(request("POST", "/probe", head))
        resp = conn.read_response()
        assert resp.status == 200 and resp.header("Connection") == "close"
        assert conn.closed_by_server()
    wire.still_serving()


def test_a_client_gone_mid_response_stops_the_body_and_closes_it(wire):
    with wire.connect() as conn:
        conn.send(request("GET", "/stream?chunks=500&delay=0.01"))
        conn.sock.recv(100)  # the response has begun
        conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    deadline = time.monotonic() + 10
    while "stream closed after" not in wire.log() and time.monotonic() < deadline:
        time.sleep(0.1)
    sent = int(re.search(r"stream closed after (\d+) chunks", wire.log()).group(1))
    assert sent < 500  # the server stopped iterating at the first failed write
    assert re.search(r"client 127.0.0.1:\d+ went away before the response", wire.log())
    wire.still_serving()


@pytest.mark.parametrize("path", ["/text", "/text?lazy=1"])
def test_a_str_body_is_the_servers_500_not_an_empty_reply(run_server, path):
    server = run_server(WIRE_INI)  # its own: the app's traceback is logged
    with Wire(server).connect() as conn:
        conn.send(request("GET", path))
        response = conn.read_response()
        assert_fault(response, 500)
    # The access line carries the request id the client got.
    request_id = re.escape(response.header("x-openstack-request-id"))
    server.wait_log(
        rf'\[{request_id}\] 127.0.0.1:\d+ "GET {re.escape(path)} HTTP/1.1" status: 500 '
    )


def test_a_pipelined_flood_is_answered_in_order(wire):
    with wire.connect() as conn:
        conn.send(b"".join(request("GET", f"/environ?n={n}") for n in range(300)))
        numbers = [conn.read_response().json()["QUERY_STRING"] for _ in range(300)]
    assert numbers == [f"n={n}" for n in range(300)]
    wire.still_serving()


def test_a_bodyless_request_has_an_empty_input_and_head_no_invented_length(wire):
    assert wire.environ(request("GET", "/read")) == {"read": 0}
    with wire.connect() as conn:
        conn.send(request("HEAD", "/stream?chunks=3&delay=0") + request("GET", "/probe"))
        head = conn.read_response("HEAD")
        assert head.status == 200 and head.body == b""
        assert head.header("Content-Length") is None  # the GET's length is not known
        assert head.header("Transfer-Encoding") is None
        assert conn.read_response().json() == {"ok": True}  # still in step
    wire.still_serving()
