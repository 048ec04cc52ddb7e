"""Live stackapi-server (one process): drain on SIGTERM, reload on SIGHUP, limits, addresses.

Every test starts the real console script (conftest ``run_server``) on loopback
with tests/configs/server_probe.ini, whose app says which ini label answered.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import time

import pytest

from conftest import PROBE_INI
from httpclient import fetch_many, get, in_background, read_all, under_load

IN_FLIGHT = 50
SLOW = 1.5  # seconds each in-flight request sleeps


def read_response(sock: socket.socket) -> tuple[str, bytes]:
    """One Content-Length response from a keep-alive connection: (head, body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed after {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?i)content-length: (\d+)", head).group(1))
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed after {len(body)} of {length} body bytes"
        body += chunk
    return head.decode("latin-1"), body


def keepalive_request(sock: socket.socket, path: str) -> None:
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: t\r\n\r\n".encode())


def refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


# -- SIGTERM -------------------------------------------------------------------


def test_sigterm_lets_50_slow_requests_finish_and_exits_0(run_server):
    server = run_server(PROBE_INI)
    join = in_background(fetch_many, server.url, f"/?sleep={SLOW}", IN_FLIGHT, 30.0)
    server.wait_log_count("probe: sleeping", IN_FLIGHT)
    signalled = time.monotonic()
    server.proc.send_signal(signal.SIGTERM)
    server.wait_log("stopped accepting")
    assert refused(server.port), "a new connection was accepted after SIGTERM"
    code = server.wait_exit()
    drained = time.monotonic() - signalled
    results, _ = join()
    print(f"\n{IN_FLIGHT} x {SLOW}s requests in flight at SIGTERM: exit after {drained:.2f}s")
    assert [r[0] if isinstance(r, tuple) else r for r in results] == [200] * IN_FLIGHT
    assert code == 0
    assert drained < SLOW + 10.0  # generous: the requests finish, nothing waits for more
    assert "Traceback" not in server.log_text()


def test_sigterm_closes_idle_keepalive_and_answers_connection_close(run_server):
    server = run_server(PROBE_INI)
    idle = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    busy = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    keepalive_request(idle, "/")
    head, _ = read_response(idle)
    assert "Connection: close" not in head  # a keep-alive connection, now idle
    keepalive_request(busy, f"/?sleep={SLOW}")
    server.wait_log("probe: sleeping")
    server.proc.send_signal(signal.SIGTERM)
    assert idle.recv(1) == b""  # closed by the server ...
    assert server.proc.poll() is None  # ... while a request is still in flight
    head, body = read_response(busy)
    assert head.startswith("HTTP/1.1 200") and "Connection: close" in head
    assert json.loads(body)["label"] == "one"
    assert busy.recv(1) == b""
    assert server.wait_exit() == 0
    idle.close()
    busy.close()


def test_second_sigterm_exits_at_once(run_server):
    server = run_server(PROBE_INI)
    client = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    keepalive_request(client, "/?sleep=25")
    server.wait_log("probe: sleeping")
    server.proc.send_signal(signal.SIGTERM)
    server.wait_log("stopped accepting")
    second = time.monotonic()
    server.proc.send_signal(signal.SIGTERM)
    assert server.wait_exit(timeout=10) == 128 + signal.SIGTERM
    assert time.monotonic() - second < 5.0
    assert "second SIGTERM: exiting now, 1 request(s) cut off" in server.log_text()
    client.close()


# -- SIGHUP --------------------------------------------------------------------


RELOADS = 4


def test_sighup_reloads_under_load_and_keeps_the_old_app_on_a_broken_ini(run_server, tmp_path):
    ini = tmp_path / "api-paste.ini"
    ini.write_text(PROBE_INI.read_text())
    server = run_server(ini)
    with under_load(server) as results:
        for reload in range(1, RELOADS + 1):
            ini.write_text(PROBE_INI.read_text().replace("one", f"r{reload}") + "backlog = 64\n")
            server.proc.send_signal(signal.SIGHUP)
            server.wait_log_count("reloaded", reload)
            time.sleep(0.3)
        # A broken ini: the old app goes on, one ERROR line names file, section and key.
        ini.write_text("[app:main]\nuse = egg:stackapi#no_such_app\n")
        server.proc.send_signal(signal.SIGHUP)
        error = server.wait_log(r".* ERROR .*")
    labels = [label for _, label in results]
    print(f"\nrequests during {RELOADS} reloads + 1 failed reload: {len(results)}, per label:")
    print({label: labels.count(label) for label in dict.fromkeys(labels)})
    assert [s for s, _ in results if s != 200] == []
    assert set(labels) == {"one", *(f"r{n}" for n in range(1, RELOADS + 1))}
    assert labels[-1] == f"r{RELOADS}"
    assert (
        f" ERROR stackapi.server [-] reload failed, still serving the previous configuration: "
        f"{ini}: [app:main] use: Entry point 'no_such_app' not found in egg 'stackapi'"
    ) in error.group(0)
    assert server.count_log(" ERROR ") == 1
    assert "backlog changed from 4096 to 64: restart stackapi-server to apply it" in (
        server.log_text()
    )
    assert get(server)[2]["label"] == f"r{RELOADS}"
    status, _, body = get(server, "/a%00b")  # the reloaded app is behind the guard too
    assert (status, list(body)) == (400, ["badRequest"])
    assert server.stop() == 0


# -- limits ----------------------------------------------------------------------


CLOSE = "Connection: close\r\n\r\n"  # ends the header block of a raw request


def raw_exchange(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        return read_all(sock)


def test_max_header_line_and_max_url_length_are_this_servers(run_server):
    server = run_server(PROBE_INI, "--max-header-line", "100", "--max-url-length", "50")

    def with_header(length: int) -> bytes:
        line = ("X-Pad: ").ljust(length, "a")
        request = f"GET / HTTP/1.1\r\nHost: t\r\n{line}\r\n{CLOSE}"
        return raw_exchange(server.port, request.encode())

    assert with_header(100).startswith(b"HTTP/1.1 200 ")
    refused_ = with_header(101)
    head, _, body = refused_.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert b"Connection: close" in head and b"x-openstack-request-id: req-" in head
    assert json.loads(body) == {
        "badRequest": {"code": 400, "message": "A request header line is longer than 100 bytes."}
    }
    path = "/" + "u" * 49
    assert raw_exchange(
        server.port, f"GET {path} HTTP/1.1\r\nHost: t\r\n{CLOSE}".encode()
    ).startswith(b"HTTP/1.1 200 ")
    head, _, body = raw_exchange(
        server.port, f"GET {path}u HTTP/1.1\r\nHost: t\r\n{CLOSE}".encode()
    ).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 414 ")
    assert json.loads(body)["apiFault"]["message"] == "The request URL is longer than 50 bytes."


def test_stalled_and_idle_clients_are_closed(run_server):
    server = run_server(PROBE_INI, "--client-socket-timeout", "0.5", "--keepalive-timeout", "1")
    start = time.monotonic()  # before the server's timer starts: waited is >= 0.5 s
    stalled = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    stalled.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n")  # ... and the rest never comes
    head, body = read_response(stalled)  # a 408 fault, then the close
    assert head.startswith("HTTP/1.1 408 ") and "Connection: close" in head
    assert json.loads(body)["apiFault"]["code"] == 408
    assert stalled.recv(1) == b""
    waited = time.monotonic() - start
    assert 0.3 < waited < 5.0
    idle = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    start = time.monotonic()  # before the keep-alive timer starts: >= 1 s by construction
    keepalive_request(idle, "/")
    read_response(idle)
    assert idle.recv(1) == b""
    assert 0.7 < time.monotonic() - start < 6.0
    server.wait_log(
        r"INFO stackapi.server \[-\] closing the connection of 127.0.0.1:\d+: "
        r"its request head was not complete \(no data for 0.5s\)"
    )
    assert "Traceback" not in server.log_text()
    stalled.close()
    idle.close()


def test_default_server_disconnect_logging_and_header_limit(run_server):
    server = run_server(PROBE_INI)
    # Default logging (the ini has no [loggers]): time, pid, level, logger, request id.
    assert re.search(
        rf"^\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ {server.pid} INFO stackapi.server \[-\] "
        rf"listening on http://127.0.0.1:{server.port}$",
        server.log_text(),
        re.M,
    )
    # max_header_line defaults to 16384, not eventlet's module-wide 8192.
    pad = "X-Pad: " + "a" * 9000
    request = f"GET / HTTP/1.1\r\nHost: t\r\n{pad}\r\n{CLOSE}"
    assert raw_exchange(server.port, request.encode()).startswith(b"HTTP/1.1 200 ")
    # A client that disconnects before its response: one INFO line, no traceback.
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    sock.sendall(b"GET /?sleep=2 HTTP/1.1\r\nHost: t\r\n\r\n")
    server.wait_log("probe: sleeping")
    # Close with RST (linger 0): the server's write fails instead of filling a buffer.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()
    line = server.wait_log(r".*went away.*")
    assert re.search(
        r"INFO stackapi.server \[-\] client 127.0.0.1:\d+ went away before the response to "
        r"'GET /\?sleep=2 HTTP/1.1' was sent: ",
        line.group(0),
    )
    assert get(server)[0] == 200
    assert server.stop() == 0
    assert "Traceback" not in server.log_text()
    assert server.count_log("went away") == 1


# -- addresses -----------------------------------------------------------------


def has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


def test_ipv6_literal_host(run_server):
    if not has_ipv6_loopback():
        pytest.skip("this machine has no IPv6 loopback (::1)")
    server = run_server(PROBE_INI, "--host", "::1")
    assert server.url == f"http://[::1]:{server.port}"
    with socket.create_connection(("::1", server.port), timeout=10) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: [::1]\r\nConnection: close\r\n\r\n")
        assert read_all(sock).startswith(b"HTTP/1.1 200 ")


def test_busy_port_is_one_line(run_server):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        server = run_server(PROBE_INI, "--port", str(port), wait=False)
        assert server.wait_exit() == 1
    assert server.log_text().strip().splitlines()[-1] == (
        f"stackapi-server: error: cannot listen on 127.0.0.1:{port}: Address already in use"
    )
    assert "Traceback" not in server.log_text()


def unix_get(path: str) -> bytes:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(10)
        sock.connect(path)
        sock.sendall(b"GET /unix HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        return read_all(sock)


def test_unix_socket(run_server, tmp_path):
    path = tmp_path / "api.sock"
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(path))  # a file left by a server that died
    stale.close()
    server = run_server(PROBE_INI, "--unix-socket", str(path))
    assert server.url == f"unix:{path}"
    response = unix_get(str(path))
    assert response.startswith(b"HTTP/1.1 200 ") and b'"path": "/unix"' in response
    # A second server on the same live socket file refuses to start.
    second = run_server(PROBE_INI, "--unix-socket", str(path), wait=False)
    assert second.wait_exit() == 1
    assert f"cannot listen on {path}: another server is listening there" in second.log_text()
    assert server.stop() == 0
    assert not path.exists()


@pytest.fixture
def certificate(tmp_path):
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is not installed: no certificate for the TLS test")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


def test_tls(run_server, certificate):
    cert, key = certificate
    server = run_server(PROBE_INI, "--cert-file", str(cert), "--key-file", str(key))
    assert server.url == f"https://127.0.0.1:{server.port}"
    context = ssl.create_default_context(cafile=str(cert))
    context.check_hostname = False  # the certificate names localhost, we dial 127.0.0.1

    def https_get() -> bytes:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
            with context.wrap_socket(raw) as sock:
                sock.sendall(b"GET /tls HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                return read_all(sock)

    assert https_get().startswith(b"HTTP/1.1 200 ")
    # Plain HTTP to the TLS port: a plain 400 fault saying so (as nginx answers), one log
    # line, and the server goes on.
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as plain:
        plain.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        head, _, body = read_all(plain).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ") and b"Connection: close" in head
    assert json.loads(body)["badRequest"]["message"] == (
        "This port speaks HTTPS: the request was sent as plain HTTP."
    )
    server.wait_log(r"INFO stackapi.server \[req-[0-9a-f-]+\] refused a request from 127.0.0.1")
    assert https_get().startswith(b"HTTP/1.1 200 ")
    assert server.stop() == 0
    assert "Traceback" not in server.log_text()


def test_sigterm_closes_an_idle_tls_keep_alive_connection_at_once(run_server, certificate):
    cert, key = certificate
    server = run_server(
        PROBE_INI, "--cert-file", str(cert), "--key-file", str(key),
        "--keepalive-timeout", "20",
    )  # fmt: skip
    context = ssl.create_default_context(cafile=str(cert))
    context.check_hostname = False
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
        with context.wrap_socket(raw) as sock:
            sock.sendall(b"GET /tls HTTP/1.1\r\nHost: t\r\n\r\n")  # kept alive
            assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")
            start = time.monotonic()
            assert server.stop() == 0
            waited = time.monotonic() - start
    assert waited < 10.0, f"the drain waited {waited:.1f}s for an idle TLS connection"
    assert "Traceback" not in server.log_text()


def client_hello() -> bytes:
    """The first flight of a real TLS client (a ClientHello record), made in memory."""
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    with pytest.raises(ssl.SSLWantReadError):
        context.wrap_bio(incoming, outgoing).do_handshake()
    return outgoing.read()


def test_a_tls_handshake_trickled_past_client_header_timeout_is_closed(run_server, certificate):
    cert, key = certificate
    server = run_server(
        PROBE_INI, "--cert-file", str(cert), "--key-file", str(key),
        "--client-header-timeout", "1.5",
    )  # fmt: skip
    hello = client_hello()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.settimeout(0.25)
        start, closed = time.monotonic(), False
        for byte in hello[:40]:  # a byte every 0.25 s: each read is quick, the total is not
            try:
                sock.send(bytes([byte]))
                closed = sock.recv(100) == b""
            except TimeoutError:
                continue
            except OSError:
                closed = True
            if closed:
                break
        waited = time.monotonic() - start
    assert closed, f"the handshake was still open after {waited:.1f}s"
    assert 1.0 < waited < 6.0
    server.wait_log(r"its TLS handshake was not complete \(client_header_timeout 1.5s\)")
    assert server.stop() == 0
    assert "Traceback" not in server.log_text()


def test_bad_certificate_is_one_line(run_server, tmp_path):
    missing = tmp_path / "missing.pem"
    server = run_server(
        PROBE_INI, "--cert-file", str(missing), "--key-file", str(missing), wait=False
    )
    assert server.wait_exit() == 1
    assert server.log_text().strip().splitlines()[-1] == (
        f"stackapi-server: error: --cert-file: cannot load {missing} and {missing}: "
        "No such file or directory"
    )
