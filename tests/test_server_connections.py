"""Connections apart from requests: idle and trickling clients cost the others nothing.

Real ``stackapi-server`` processes on loopback (tests/configs/wire.ini: a plain WSGI
app, the default logging, so the per-request line is on).  Each test opens the
crowd itself, bounded in count and time, and closes it.
"""

from __future__ import annotations

import re
import resource
import selectors
import socket
import time

import pytest

from conftest import CONFIGS
from httpclient import raise_fd_limit, read_all, socket_count

pytestmark = pytest.mark.slow

WIRE_INI = CONFIGS / "wire.ini"
MARGIN = 6.0  # seconds: generous, the machine is shared


def probe(port: int, path: str = "/probe", timeout: float = 10.0) -> tuple[int, float]:
    """One request on a new connection: (status, seconds it took)."""
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode())
        raw = read_all(sock)
    return int(raw.split(b" ", 2)[1]), time.monotonic() - start


def open_many(port: int, count: int, first: bytes = b"") -> list[socket.socket]:
    crowd = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        if first:
            sock.sendall(first)
        sock.setblocking(False)
        crowd.append(sock)
    return crowd


def closed_ones(crowd: list[socket.socket]) -> set[socket.socket]:
    """The sockets the server has closed (EOF or reset) by now; what they got is dropped."""
    selector = selectors.DefaultSelector()
    for sock in crowd:
        selector.register(sock, selectors.EVENT_READ)
    closed = set()
    for key, _ in selector.select(timeout=0):
        try:
            while data := key.fileobj.recv(65536):
                del data
        except BlockingIOError:
            continue  # bytes (a 408) but no EOF yet
        except OSError:
            pass
        closed.add(key.fileobj)
    selector.close()
    return closed


def trickle(crowd: list[socket.socket], byte: bytes = b"x") -> None:
    """One more byte from each of ``crowd`` (a client that never stops, just slowly)."""
    for sock in crowd:
        try:
            sock.send(byte)
        except OSError:
            pass


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return int(re.search(r"VmRSS:\s+(\d+) kB", status.read()).group(1))


def close_all(*crowds: list[socket.socket]) -> None:
    for crowd in crowds:
        for sock in crowd:
            sock.close()


def test_10000_idle_and_2000_trickling_clients_cost_a_new_client_nothing(run_server):
    idle_count, trickling = 10_000, 1_000
    assert raise_fd_limit(idle_count + 2 * trickling + 500) >= idle_count + 2 * trickling + 200
    timeout = 4.0
    server = run_server(
        WIRE_INI,
        "--max-connections", str(idle_count + 2 * trickling + 100),
        "--client-header-timeout", str(timeout),
        "--client-body-timeout", str(timeout),
    )  # fmt: skip
    assert probe(server.port)[0] == 200
    before = rss_kib(server.pid)
    idle = heads = bodies = []
    try:
        idle = open_many(server.port, idle_count)
        opened = time.monotonic()
        heads = open_many(server.port, trickling, b"GET /probe HTTP/1.1\r\nHost: t\r\nX-Drip: ")
        body_head = b"POST /read HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n"
        bodies = open_many(server.port, trickling, body_head)
        trickle(heads + bodies)
        crowd = idle_count + 2 * trickling
        while socket_count(server.pid) < crowd and time.monotonic() < opened + timeout:
            time.sleep(0.05)  # until the server has accepted them all
        # The first request after the burst waits for the crowd's first steps (each new
        # connection's green thread runs once, ~30 us); the crowd costs nothing after that.
        first_status, first = probe(server.port)
        answers = [probe(server.port) for _ in range(3)]
        took = max(seconds for _, seconds in answers)
        per_idle = (rss_kib(server.pid) - before) * 1024 / crowd
        print(
            f"\n{idle_count} idle + {2 * trickling} trickling connections: a new request "
            f"answered in {first * 1000:.1f} ms right after the burst, then in "
            f"{took * 1000:.1f} ms at most; RSS {per_idle / 1024:.1f} KiB each"
        )
        assert first_status == 200 and first < 5.0
        assert [status for status, _ in answers] == [200] * 3 and took < 0.5
        # The tricklers keep sending; each is cut at its deadline, the silent ones too.
        open_ = set(idle + heads + bodies)
        while open_ and time.monotonic() < opened + timeout + MARGIN:
            trickle([s for s in heads + bodies if s in open_])
            open_ -= closed_ones(list(open_))
            time.sleep(0.5)
        assert not open_, f"{len(open_)} connections outlived their deadline"
        assert probe(server.port)[0] == 200
    finally:
        close_all(idle, heads, bodies)
    log = server.log_text()
    assert "Traceback" not in log
    assert log.count("its request head was not complete (client_header_timeout 4s)") >= trickling
    assert log.count("The request body did not arrive within 4s.") >= trickling


def keepalive_idle(port: int, count: int) -> list[socket.socket]:
    """``count`` connections that each made a request and now wait, kept alive."""
    crowd = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock.sendall(b"GET /probe HTTP/1.1\r\nHost: t\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")
        crowd.append(sock)
    return crowd


def test_at_the_connection_cap_the_oldest_idle_go_first_then_new_ones_are_refused(
    run_server,
):
    cap = 40
    server = run_server(WIRE_INI, "--max-connections", str(cap), "--pool-size", str(cap))
    idle = busy = silent = []
    try:
        silent = open_many(server.port, cap)  # just connected, nothing sent: the cap is full
        while socket_count(server.pid) < cap + 1:  # + the listening socket
            time.sleep(0.05)
        status, took = probe(server.port)  # at once: the oldest silent one makes room
        assert status == 200 and took < 1.0
        assert silent[0] in closed_ones(silent)
        close_all(silent)
        time.sleep(0.5)
        idle = keepalive_idle(server.port, cap)
        status, took = probe(server.port)  # room is made: the oldest idle one is closed
        assert status == 200 and took < 1.0
        time.sleep(0.2)
        assert idle[0] in closed_ones(idle) and len(closed_ones(idle)) == 1
        close_all(idle)
        idle = []
        time.sleep(0.5)
        busy = []
        for _ in range(cap):  # every connection in a request: nothing idle to close
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            sock.sendall(b"GET /sleep?s=3 HTTP/1.1\r\nHost: t\r\n\r\n")
            busy.append(sock)
        time.sleep(0.5)
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            refused = read_all(sock)
        head, _, body = refused.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 503 ") and b"Connection: close" in head
        assert b'"serviceUnavailable"' in body
        for _ in range(5):  # one that sends its request at once reads the 503, not a reset
            with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
                sock.sendall(b"GET /probe HTTP/1.1\r\nHost: t\r\n\r\n")
                assert read_all(sock).startswith(b"HTTP/1.1 503 ")
        for sock in busy:  # the busy ones are served in full
            assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")
    finally:
        close_all(idle, busy, silent)
    server.wait_log(r"WARNING stackapi.server \[-\] max_connections \(40\) reached")
    assert probe(server.port)[0] == 200


def test_no_file_descriptors_left_never_spins_nor_stops_the_accept_loop(run_server):
    server = run_server(WIRE_INI)
    crowd = []
    try:
        soft, hard = resource.prlimit(server.pid, resource.RLIMIT_NOFILE)
        resource.prlimit(server.pid, resource.RLIMIT_NOFILE, (40, hard))
        # Each in the middle of its head, so none is idle to close: the server runs out of
        # descriptors in accept (idle ones would make room, as at the connection cap).
        crowd = open_many(server.port, 60, first=b"GET /probe HTTP/1.1\r\n")
        server.wait_log("accept failed: Too many open files: refusing new connections")
        cpu = _cpu_seconds(server.pid)
        time.sleep(2.0)
        used = _cpu_seconds(server.pid) - cpu
        assert used < 1.0, f"the accept loop spun: {used:.2f}s of CPU in 2s"
    finally:
        close_all(crowd)
    resource.prlimit(server.pid, resource.RLIMIT_NOFILE, (soft, hard))
    status, _ = probe(server.port)
    assert status == 200
    assert "Traceback" not in server.log_text()


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100.0


def test_a_low_open_files_limit_lowers_the_cap_with_one_warning(run_server):
    server = run_server(WIRE_INI, wait=False, preexec=lambda: _limit_nofile(256))
    server.wait_listening()
    assert re.search(
        r"WARNING stackapi.server \[-\] max_connections lowered from 10000 to 192: "
        r"the open-files limit is 256",
        server.log_text(),
    )
    assert probe(server.port)[0] == 200


def _limit_nofile(limit: int) -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))


def test_a_pipelining_client_does_not_starve_the_others(run_server):
    server = run_server(WIRE_INI)
    flood = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    batch = b"GET /probe HTTP/1.1\r\nHost: t\r\n\r\n" * 2000
    latencies = []
    try:
        for _ in range(5):  # 10,000 pipelined requests, read back as they come
            flood.sendall(batch)
            for _ in range(10):
                latencies.append(probe(server.port)[1])
            received, tail = 0, b""
            while received < 2000:
                data = tail + flood.recv(1 << 20)
                received += data.count(b"HTTP/1.1 200 ")
                tail = data[-12:]  # a status line cut in two is counted once, whole
    finally:
        flood.close()
    latencies.sort()
    print(f"\nprobes during a pipelining flood: max {latencies[-1] * 1000:.1f} ms")
    assert latencies[-1] < 1.0
