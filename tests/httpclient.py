"""Clients for the live-server tests: one request, steady load, many connections at once.

Every read is bounded by a socket timeout; every loop by a count.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import socket
import threading
import time
from collections.abc import Iterator


def raise_fd_limit(wanted: int) -> int:
    """Raise this process's soft fd limit towards ``wanted`` (up to the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def socket_count(pid: int) -> int:
    """Open sockets of process ``pid`` (Linux /proc)."""
    fd_dir = f"/proc/{pid}/fd"
    count = 0
    for name in os.listdir(fd_dir):
        try:
            count += os.readlink(os.path.join(fd_dir, name)).startswith("socket:")
        except FileNotFoundError:
            pass
    return count


async def fetch(host: str, port: int, path: str, timeout: float) -> tuple[int, bytes]:
    """One ``GET`` on its own connection: (status, body); raises on timeout."""

    async def go() -> tuple[int, bytes]:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(
                f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode()
            )
            await writer.drain()
            raw = await reader.read()
        finally:
            writer.close()
        head, _, body = raw.partition(b"\r\n\r\n")
        return int(head.split(b" ", 2)[1]), body

    return await asyncio.wait_for(go(), timeout)


def fetch_many(url: str, path: str, count: int, timeout: float) -> tuple[list, float]:
    """``count`` concurrent GETs; returns (statuses or exceptions, wall seconds)."""
    host, port = url.removeprefix("http://").rsplit(":", 1)

    async def main() -> list:
        return await asyncio.gather(
            *(fetch(host, int(port), path, timeout) for _ in range(count)), return_exceptions=True
        )

    start = time.monotonic()
    results = asyncio.run(main())
    return results, time.monotonic() - start


def get(server, path: str = "/") -> tuple[int, str, dict]:
    """One request on its own connection: (status, raw head, JSON body or {})."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10.0) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode())
        raw = read_all(sock)
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split()[1]), head.decode("latin-1"), json.loads(body) if body else {}


def read_all(sock: socket.socket) -> bytes:
    """Everything until the server closes (bounded by the socket's timeout)."""
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def in_background(function, *args):
    """Run ``function(*args)`` in a thread; returns a callable that joins, returns its result."""
    result: list = []
    thread = threading.Thread(target=lambda: result.append(function(*args)), daemon=True)
    thread.start()

    def join(timeout: float = 60.0):
        thread.join(timeout)
        assert not thread.is_alive(), "background client still running"
        return result[0]

    return join


@contextlib.contextmanager
def under_load(server, clients: int = 12, limit: int = 5000) -> Iterator[list[tuple]]:
    """``clients`` threads sending requests one after another while the block runs.

    A new connection per request: most of them are accepted but not yet read
    at any instant, the state a reload must not drop.  Yields the results,
    ``(status, label)`` or ``(exception, None)``, filled in as they come; the
    load starts 0.3 s before the block and stops 0.3 s after it.
    """
    results: list = []
    stop = threading.Event()

    def client() -> None:
        for _ in range(limit // clients):
            if stop.is_set():
                return
            try:
                status, _, body = get(server, "/?sleep=0.01")
                results.append((status, body.get("label")))
            except (OSError, IndexError) as exc:  # refused, reset, or closed without a response
                results.append((exc, None))

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    time.sleep(0.3)
    try:
        yield results
    finally:
        time.sleep(0.3)
        stop.set()
        for thread in threads:
            thread.join(30)
