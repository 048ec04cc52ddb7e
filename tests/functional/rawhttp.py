"""A raw-socket HTTP/1.x client for the corpus: exact bytes out, parsed responses in.

No library between the test and the wire: ``send`` writes the bytes given,
``read_response`` parses what comes back (Content-Length, chunked, or up to
the close), and every wait has a deadline, so a server that hangs fails the
test instead of blocking it.
"""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass, field

READ_TIMEOUT = 10.0  # seconds for a whole response to arrive
CLOSE_TIMEOUT = 5.0  # seconds for the server to close a connection it should close
_BODYLESS = (204, 304)


class ConnectionClosed(Exception):
    """The server closed the connection before a complete response head arrived."""


class ProtocolViolation(AssertionError):
    """The bytes received are not a well-formed HTTP/1.x response."""


@dataclass
class Response:
    version: str
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes
    raw: bytes = field(repr=False)

    def header(self, name: str) -> str | None:
        """The first header called ``name`` (case-insensitive), or None."""
        values = self.all(name)
        return values[0] if values else None

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def json(self):
        return json.loads(self.body)


class Connection:
    """One TCP connection to ``(host, port)``.

    ::

        with Connection(("127.0.0.1", port)) as conn:
            conn.send(b"GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
            resp = conn.read_response()
            assert conn.closed_by_server() is False
    """

    def __init__(self, address: tuple[str, int], timeout: float = READ_TIMEOUT) -> None:
        self.timeout = timeout
        self.sock = socket.create_connection(address, timeout=timeout)
        self.buffer = b""
        self.eof = False

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        self.sock.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def shutdown_write(self) -> None:
        """Half-close: the server reads EOF, we can still read its answer."""
        self.sock.shutdown(socket.SHUT_WR)

    def _recv(self, deadline: float) -> bool:
        """Read what is there into the buffer; False on EOF (or reset)."""
        if self.eof:
            return False
        timeout = TimeoutError(
            f"no complete response within {self.timeout}s: {self.buffer[:2000]!r}"
        )
        left = deadline - time.monotonic()
        if left <= 0:
            raise timeout
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            raise timeout from None
        except (ConnectionResetError, BrokenPipeError):
            data = b""
        if not data:
            self.eof = True
            return False
        self.buffer += data
        return True

    def _take_until(self, marker: bytes, deadline: float) -> bytes | None:
        while marker not in self.buffer:
            if not self._recv(deadline):
                return None
        head, _, self.buffer = self.buffer.partition(marker)
        return head

    def _take(self, size: int, deadline: float) -> bytes:
        while len(self.buffer) < size:
            if not self._recv(deadline):
                raise ProtocolViolation(
                    f"connection closed after {len(self.buffer)} of {size} body bytes"
                )
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def read_response(self, method: str = "GET") -> Response:
        """The next response on this connection (1xx interim responses included).

        ``method`` is the request's: a ``HEAD`` answer has no body whatever
        its headers say.  Raises :class:`ConnectionClosed` if the connection
        ends before a response head, :class:`TimeoutError` after ``timeout``.
        """
        deadline = time.monotonic() + self.timeout
        head = self._take_until(b"\r\n\r\n", deadline)
        if head is None:
            raise ConnectionClosed(f"closed before a response head; got {self.buffer!r}")
        version, status, reason, headers = parse_head(head)
        response = Response(version, status, reason, headers, b"", raw=head + b"\r\n\r\n")
        response.body = self._read_body(response, method, deadline)
        response.raw += response.body
        return response

    def _read_body(self, resp: Response, method: str, deadline: float) -> bytes:
        if method == "HEAD" or resp.status in _BODYLESS or 100 <= resp.status < 200:
            return b""
        if any("chunked" in v.lower() for v in resp.all("Transfer-Encoding")):
            return self._read_chunked(deadline)
        length = resp.header("Content-Length")
        if length is not None:
            if not length.isdigit() or len(set(resp.all("Content-Length"))) != 1:
                raise ProtocolViolation(f"bad Content-Length in {resp.headers!r}")
            return self._take(int(length), deadline)
        while self._recv(deadline):  # delimited by the close
            pass
        data, self.buffer = self.buffer, b""
        return data

    def _read_chunked(self, deadline: float) -> bytes:
        parts = []
        while True:
            line = self._take_until(b"\r\n", deadline)
            if line is None:
                raise ProtocolViolation("connection closed inside a chunked body")
            size = int(line.split(b";")[0], 16)
            if size == 0:
                while self._take_until(b"\r\n", deadline):  # trailers
                    pass
                return b"".join(parts)
            parts.append(self._take(size, deadline))
            if self._take(2, deadline) != b"\r\n":
                raise ProtocolViolation("chunk not followed by CRLF")

    def closed_by_server(self, timeout: float = CLOSE_TIMEOUT) -> bool:
        """Wait (bounded) for EOF: True if the server closed, False if it stayed open.

        Bytes that arrive meanwhile stay in ``buffer``: after the last response
        was read, anything there is a response too many.
        """
        deadline = time.monotonic() + timeout
        try:
            while self._recv(deadline):
                pass
        except TimeoutError:
            return False
        return True


def parse_head(head: bytes) -> tuple[str, int, str, list[tuple[str, str]]]:
    """Status line and header lines of a response head; strict about their shape."""
    lines = head.split(b"\r\n")
    status_line = lines[0].decode("latin-1")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise ProtocolViolation(f"not a status line: {status_line!r}")
    headers = []
    for line in lines[1:]:
        name, colon, value = line.decode("latin-1").partition(":")
        if not colon or not name or name != name.strip() or "\n" in line.decode("latin-1"):
            raise ProtocolViolation(f"not a header line: {line!r}")
        headers.append((name, value.strip()))
    return parts[0], int(parts[1]), parts[2] if len(parts) > 2 else "", headers


def request(
    method: str,
    path: str,
    headers: dict[str, str] | list[tuple[str, str]] | None = None,
    body: bytes = b"",
    version: str = "HTTP/1.1",
    host: str = "corpus.test",
) -> bytes:
    """The bytes of a well-formed request; ``Content-Length`` added for a body."""
    items = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
    names = {k.lower() for k, _ in items}
    if "host" not in names:
        items.insert(0, ("Host", host))
    if body and "content-length" not in names and "transfer-encoding" not in names:
        items.append(("Content-Length", str(len(body))))
    head = f"{method} {path} {version}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in items)
    return head.encode("latin-1") + b"\r\n" + body


def chunk(data: bytes, size: str | None = None) -> bytes:
    """``data`` as one chunk of a chunked body; ``size`` replaces its (hex) size line."""
    size = f"{len(data):x}" if size is None else size
    return size.encode() + b"\r\n" + data + b"\r\n"


def chunked(data: bytes) -> bytes:
    """A whole chunked body: ``data`` as one chunk, then the last chunk."""
    return chunk(data) + b"0\r\n\r\n"
