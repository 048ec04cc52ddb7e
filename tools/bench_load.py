"""Load of tools/bench.py: wrk for steady load, a bounded asyncio client for bursts,
plain sockets for idle connections; and the timer of its in-process figures.

wrk (C, epoll; ``apt-get install wrk``) measures throughput and latency over a
fixed time.  A burst (N connections opened at once, one GET each) is what wrk
cannot express; the asyncio client does it, bounded by a per-request and a total
timeout.  Idle connections are sockets that connect and send nothing.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

REPORT_SCRIPT = Path(__file__).resolve().parent / "wrk_report.lua"
HEADERS = {"X-Auth-Token": "bench:bench"}  # noauth's token; the bare server ignores it


def wrk_path() -> str | None:
    return shutil.which("wrk")


def run_wrk(url: str, connections: int, seconds: float, cpus: str | None = None) -> dict:
    """One wrk run: requests, errors, p50/p99 (us) and req/s, from wrk's own report."""
    args = [
        wrk_path() or "wrk",
        "-t1",  # the server, one process, is the bottleneck; one client thread suffices
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "30s",
        "-s",
        str(REPORT_SCRIPT),
        *(arg for name, value in HEADERS.items() for arg in ("-H", f"{name}: {value}")),
        url,
    ]
    if cpus:
        args = ["taskset", "-c", cpus, *args]
    done = subprocess.run(args, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip()}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    report["errors"] = sum(
        report[key]
        for key in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts")
    )
    report["rps"] = report["requests"] / (report["duration_us"] / 1e6)
    return report


def best_us(call: Callable[[], object], seconds: float = 1.0, loops: int = 7) -> float:
    """Best of ``loops`` timed loops of ``call()``, about ``seconds`` in all; us per call."""
    start, count = time.perf_counter(), 0
    while time.perf_counter() - start < 0.05:  # warm-up, and a loop size to time
        call()
        count += 1
    size = max(100, int(count * seconds / loops / 0.05))
    best = float("inf")
    for _ in range(loops):
        start = time.perf_counter()
        for _ in range(size):
            call()
        best = min(best, (time.perf_counter() - start) / size)
    return best * 1e6


async def _get(host: str, port: int, path: str, timeout: float) -> int:
    """One GET on its own connection; the status code."""

    async def go() -> int:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            head = "".join(f"{name}: {value}\r\n" for name, value in HEADERS.items())
            writer.write(
                f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{head}"
                "Connection: close\r\n\r\n".encode()
            )
            await writer.drain()
            raw = await reader.read()
        finally:
            writer.close()
        return int(raw.split(b" ", 2)[1]) if raw.startswith(b"HTTP/") else 0

    return await asyncio.wait_for(go(), timeout)


def burst(url: str, count: int, timeout: float) -> dict:
    """``count`` GETs of ``url``, each on its own connection, all started at once.

    Returns successes (200s), errors by kind, and the wall time from the first
    connect to the last answer.  Every request is bounded by ``timeout``.
    """
    rest = url.removeprefix("http://")
    hostport, _, path = rest.partition("/")
    host, port = hostport.rsplit(":", 1)

    async def main() -> list:
        tasks = [_get(host, int(port), "/" + path, timeout) for _ in range(count)]
        return await asyncio.gather(*tasks, return_exceptions=True)

    start = time.monotonic()
    results = asyncio.run(main())
    wall = time.monotonic() - start
    errors: dict[str, int] = {}
    for result in results:
        if result != 200:
            kind = type(result).__name__ if isinstance(result, BaseException) else f"HTTP {result}"
            errors[kind] = errors.get(kind, 0) + 1
    return {
        "requests": count,
        "successes": count - sum(errors.values()),
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "wall_s": wall,
    }


def _host_port(url: str) -> tuple[str, int]:
    host, _, port = url.removeprefix("http://").partition("/")[0].rpartition(":")
    return host, int(port)


def open_idle(url: str, count: int, seconds: float) -> tuple[list[socket.socket], int]:
    """``count`` connections to ``url``'s server that send nothing (within ``seconds``
    in all, 5 s per connect); the open sockets and how many connects failed."""
    address = _host_port(url)
    opened: list[socket.socket] = []
    failed = 0
    deadline = time.monotonic() + seconds
    for _ in range(count):
        if time.monotonic() > deadline:
            failed += count - len(opened) - failed
            break
        sock = socket.socket()
        sock.settimeout(5)
        try:
            sock.connect(address)
        except OSError:
            sock.close()
            failed += 1
            continue
        opened.append(sock)
    return opened, failed


def still_open(socks: list[socket.socket]) -> int:
    """How many of ``socks`` are as they were: open, nothing received (not closed,
    reset, or answered with a fault)."""
    count = 0
    for sock in socks:
        sock.setblocking(False)
        try:
            sock.recv(1)
        except BlockingIOError:
            count += 1
        except OSError:
            pass
    return count


def close_all(socks: list[socket.socket]) -> None:
    for sock in socks:
        sock.close()


def timed_get(url: str, timeout: float) -> dict:
    """One GET on a new connection: its status (0 if none: ``error`` says why) and seconds."""
    host, port = _host_port(url)
    path = "/" + url.removeprefix("http://").partition("/")[2]
    start = time.monotonic()
    status, error = 0, ""
    try:
        status = asyncio.run(_get(host, port, path, timeout))
    except (OSError, asyncio.TimeoutError) as exc:
        error = type(exc).__name__
    return {"status": status, "error": error, "seconds": time.monotonic() - start}


async def _keepalive(host: str, port: int, path: str, count: int) -> int:
    """``count`` GETs one after the other on one kept-alive connection; how many got 200."""
    reader, writer = await asyncio.open_connection(host, port)
    head = "".join(f"{name}: {value}\r\n" for name, value in HEADERS.items())
    request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{head}\r\n".encode()
    ok = 0
    try:
        for _ in range(count):
            writer.write(request)
            await writer.drain()
            status_and_headers = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in status_and_headers.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            ok += status_and_headers.startswith(b"HTTP/1.1 200 ")
    finally:
        writer.close()
    return ok


def keepalive_requests(url: str, connections: int, each: int, timeout: float) -> int:
    """Exactly ``connections * each`` GETs of ``url``: ``connections`` kept-alive
    connections at once, ``each`` requests on each; how many got 200 (bounded by
    ``timeout`` in all)."""
    host, port = _host_port(url)
    path = "/" + url.removeprefix("http://").partition("/")[2]

    async def main() -> list[int]:
        tasks = [_keepalive(host, port, path, each) for _ in range(connections)]
        return await asyncio.wait_for(asyncio.gather(*tasks), timeout)

    return sum(asyncio.run(main()))
