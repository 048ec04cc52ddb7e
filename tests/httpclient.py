"""A small bounded asyncio HTTP/1.1 client for tests that need many connections at once."""

from __future__ import annotations

import asyncio
import resource
import time


def raise_fd_limit(wanted: int) -> int:
    """Raise this process's soft fd limit towards ``wanted`` (up to the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


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
