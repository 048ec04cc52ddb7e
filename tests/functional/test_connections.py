"""Connections: stalled, vanishing and queued clients neither block the server nor leak."""

import re
import selectors
import socket
import struct
import time

import pytest

from conftest import CONFIGS
from demo_config import demo_ini
from httpclient import fetch_many, raise_fd_limit, socket_count

from .conftest import AUTH, COLLECTION, Corpus
from .rawhttp import request

pytestmark = pytest.mark.slow  # every case talks to a real stackapi-server

SOCKET_TIMEOUT = 2.0  # the client_socket_timeout these tests run with, in seconds
MARGIN = 6.0  # generous: the machine is shared
STALLED = 500


def stalled_clients(address, count: int) -> list[socket.socket]:
    """``count`` connections that stop: in the request line, in the headers, or before a byte."""
    partial = [b"GET /v2.1/servers HT", b"GET /v2.1/servers HTTP/1.1\r\nHost: x\r\nX-Auth-", b""]
    clients = []
    for n in range(count):
        sock = socket.create_connection(address, timeout=10)
        sock.sendall(partial[n % 3])
        clients.append(sock)
    return clients


def wait_all_closed(clients: list[socket.socket], timeout: float) -> list[socket.socket]:
    """Wait (bounded) for the server to close each client; returns those still open."""
    selector = selectors.DefaultSelector()
    for sock in clients:
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ)
    open_ = set(clients)
    deadline = time.monotonic() + timeout
    while open_ and time.monotonic() < deadline:
        for key, _ in selector.select(timeout=0.2):
            try:
                data = key.fileobj.recv(65536)
            except BlockingIOError:
                continue  # nothing to read after all: still open
            except ConnectionResetError:
                data = b""
            if not data:
                selector.unregister(key.fileobj)
                open_.discard(key.fileobj)
    selector.close()
    return list(open_)


def abort(sock: socket.socket) -> None:
    """Close with a TCP reset (SO_LINGER 0), as a client that crashes does."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def greenlets(corpus: Corpus) -> int:
    """The server's live green threads.  The probe waits for the server to close its
    connection, so that a socket count taken next does not see the probe's socket."""
    with corpus.connect() as conn:
        conn.send(request("GET", "/greenlets", {"Connection": "close"}))
        count = conn.read_response().json()["greenlets"]
        assert conn.closed_by_server(), "the server kept a Connection: close connection"
    return count


def wait_for_baseline(corpus: Corpus, greenlets_before: int, sockets_before: int) -> None:
    """Green threads and sockets return (bounded wait) to what they were before the case."""
    deadline = time.monotonic() + SOCKET_TIMEOUT + MARGIN
    while time.monotonic() < deadline:
        now = (greenlets(corpus), socket_count(corpus.server.pid))
        if now[0] <= greenlets_before and now[1] <= sockets_before:
            return
        time.sleep(0.2)
    raise AssertionError(
        f"leaked: greenlets {greenlets_before} -> {now[0]}, sockets {sockets_before} -> {now[1]}"
    )


@pytest.fixture
def short_timeout_demo(run_server, tmp_path) -> Corpus:
    """The demo with client_socket_timeout and client_header_timeout = 2 s (a stalled read,
    and a whole head; keepalive_timeout stays at its default)."""
    assert raise_fd_limit(STALLED + 500) >= STALLED + 200, "fd limit too low for the test"
    timeout = str(SOCKET_TIMEOUT)
    server = run_server(
        demo_ini(tmp_path), "--client-socket-timeout", timeout, "--client-header-timeout", timeout
    )
    return Corpus(server)


def test_500_stalled_clients_neither_block_nor_outlive_the_timeout(short_timeout_demo):
    demo = short_timeout_demo
    clients = stalled_clients(demo.address, STALLED)
    try:
        start = time.monotonic()
        resp = demo.exchange(request("GET", COLLECTION, AUTH))
        assert resp.status == 200 and time.monotonic() - start < MARGIN
        survivors = wait_all_closed(clients, SOCKET_TIMEOUT + MARGIN)
        assert survivors == [], f"{len(survivors)} stalled clients outlived the socket timeout"
    finally:
        for sock in clients:
            sock.close()
    demo.still_serving()


def test_a_client_trickling_its_headers_is_cut_at_the_timeout(short_timeout_demo):
    demo = short_timeout_demo
    with demo.connect() as conn:
        conn.send(b"GET /v2.1/servers HTTP/1.1\r\nHost: x\r\n")
        start = time.monotonic()
        cut = False
        while time.monotonic() - start < SOCKET_TIMEOUT + MARGIN:
            try:
                conn.send(b"X-Drip: 1\r\n")  # a header line every half second
            except OSError:
                cut = True
                break
            if conn.closed_by_server(0.5):
                cut = True
                break
        assert cut, "a trickling client kept its connection past client_socket_timeout"
    demo.still_serving()


def test_clients_vanishing_mid_request_leave_no_trace(misbehaving):
    before = (greenlets(misbehaving), socket_count(misbehaving.server.pid))
    for n in range(20):
        sock = socket.create_connection(misbehaving.address, timeout=10)
        head = request("POST", "/echo/", [("X-Auth-Token", "alice"), ("Content-Length", "10000")])
        sock.sendall(head + b"x" * 1000)
        abort(sock) if n % 2 else sock.close()
    wait_for_baseline(misbehaving, *before)
    misbehaving.still_serving()
    # One INFO line per client: "went away" if the 400 could not be written, else "refused".
    lines = re.findall(r"INFO stackapi.server .*'POST /echo/ HTTP/1.1'.*", misbehaving.log())
    assert len(lines) == 20, lines
    assert all("ended after 1000 of 10000 bytes" in line for line in lines), lines


def test_clients_vanishing_mid_response_leave_no_trace(misbehaving):
    before = (greenlets(misbehaving), socket_count(misbehaving.server.pid))
    for n in range(10):
        conn = misbehaving.connect()
        conn.send(request("GET", "/stream?chunks=20&delay=0.05"))
        conn.sock.recv(100)  # the response has begun
        abort(conn.sock) if n % 2 else conn.close()
    wait_for_baseline(misbehaving, *before)
    misbehaving.still_serving()
    lost = re.findall(r"INFO stackapi.server .* went away before the response", misbehaving.log())
    assert len(lost) == 10, misbehaving.log()


def test_pool_exhaustion_queues_and_serves_every_request(run_server):
    pool = 10
    server = run_server(CONFIGS / "functional_app.ini", "--pool-size", str(pool))
    count = pool + 100
    results, wall = fetch_many(server.url, "/stream?chunks=1&delay=0.25", count, timeout=60.0)
    errors = [r for r in results if not isinstance(r, tuple)]
    assert errors == []
    assert [status for status, _ in results] == [200] * count
    # 110 quarter-second requests through 10 green threads: at least 11 waves.
    assert wall > 0.25 * count / pool * 0.9
    Corpus(server, ("/ok", [])).still_serving()
