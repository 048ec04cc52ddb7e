"""The parser choice of issue 13: httptools (llhttp) or h11, by measurement.

Two figures, both in tools/ (stackapi/server/ is not touched to measure them):

- in-process: the cost of one typical request head (an OpenStack client's GET)
  through each parser, best of N loops, us per request: the head alone, and the
  whole request/response cycle a kept-alive connection goes through;
- a minimal loop probe with each parser, run as a server by tools/bench.py::

      python tools/bench_parsers.py --parser h11 --host 127.0.0.1 --port 0

  green sockets and a GreenPool as stackapi-server has, the bare WSGI function,
  keep-alive, and nothing else (no limits, no deadlines, no checks): what the
  parser leaves of a server's request rate before any of stackapi's rules.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import warnings
from collections import deque
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_to_bytes

import h11
import httptools
from bench_load import best_us

#: What python-novaclient (keystoneauth) sends for ``nova list``: a fernet token,
#: a microversion, the usual client headers (491 bytes).
HEAD = (
    b"GET /v2.1/servers/detail?limit=50 HTTP/1.1\r\n"
    b"Host: 127.0.0.1:8774\r\n"
    b"User-Agent: python-novaclient keystoneauth1/5.6.0 python-requests/2.31.0 CPython/3.11.7\r\n"
    b"Accept-Encoding: gzip, deflate\r\n"
    b"Accept: application/json\r\n"
    b"Connection: keep-alive\r\n"
    b"X-Auth-Token: gAAAAABmZ3b2Xk9Lq4v8Yp0cRt1WmXo3sJfKdE7uNhIaG6bQzV5yC2lTrM"
    b"9xPwO4iUjH8eDgSnF1kA0BcLvZqRt7YpXm3WsNo5UiJh2KdGf6EaQbC8lVzT1yRx4Mn9PwOe"
    b"SgHjKuIl0AbCdEfGhIjKlMnOpQrStUvWxYz\r\n"
    b"OpenStack-API-Version: compute 2.3\r\n"
    b"X-OpenStack-Nova-API-Version: 2.3\r\n"
    b"\r\n"
)
BODY = b'{"ping": "pong"}'
RESPONSE_HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))]
READ_SIZE = 65536


# -- in-process ----------------------------------------------------------------------------


class _Head:
    """httptools callbacks: the parts of one head, as a server keeps them."""

    __slots__ = ("url", "fields", "done")

    def __init__(self) -> None:
        self.url = b""
        self.fields: list[tuple[bytes, bytes]] = []
        self.done = 0

    def on_message_begin(self) -> None:
        self.url = b""
        self.fields = []

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.fields.append((name, value))

    def on_message_complete(self) -> None:
        self.done += 1


def parse_httptools(parser: Any, sink: _Head, head: bytes = HEAD) -> tuple:
    parser.feed_data(head)
    return parser.get_method(), sink.url, sink.fields


def parse_h11(head: bytes = HEAD) -> tuple:
    """A new h11 connection per head: h11 parses the next head only after a response."""
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(head)
    request = conn.next_event()
    assert conn.next_event() == h11.EndOfMessage()
    return request.method, request.target, list(request.headers)


def cycle_httptools(parser: Any, sink: _Head) -> bytes:
    """One request/response of a kept-alive connection: parse, write the head by hand."""
    parse_httptools(parser, sink)
    lines = ["HTTP/1.1 200 OK\r\n"]
    lines += [f"{name}: {value}\r\n" for name, value in RESPONSE_HEADERS]
    lines.append("\r\n")
    return "".join(lines).encode("latin-1") + BODY


def cycle_h11(conn: h11.Connection) -> bytes:
    """The same with h11: it parses, frames the response and checks both sides' states."""
    conn.receive_data(HEAD)
    conn.next_event()  # Request
    conn.next_event()  # EndOfMessage
    out = conn.send(h11.Response(status_code=200, headers=RESPONSE_HEADERS, reason=b"OK"))
    out += conn.send(h11.Data(data=BODY)) + conn.send(h11.EndOfMessage())
    conn.start_next_cycle()
    return out


def in_process(seconds: float = 1.0) -> dict:
    """us per request of each parser on :data:`HEAD` (best of 7 loops each)."""
    sink = _Head()
    kept = httptools.HttpRequestParser(sink)

    def fresh_httptools() -> tuple:
        new_sink = _Head()
        return parse_httptools(httptools.HttpRequestParser(new_sink), new_sink)

    conn = h11.Connection(h11.SERVER)
    return {
        "head_bytes": len(HEAD),
        "httptools_version": httptools.__version__,
        "h11_version": h11.__version__,
        "us": {
            "httptools: head, parser kept (keep-alive)": best_us(
                lambda: parse_httptools(kept, sink), seconds
            ),
            "httptools: head, new parser": best_us(fresh_httptools, seconds),
            "h11: head, new connection": best_us(parse_h11, seconds),
            "httptools: request + response, kept": best_us(
                lambda: cycle_httptools(kept, sink), seconds
            ),
            "h11: request + response, kept": best_us(lambda: cycle_h11(conn), seconds),
        },
    }


# -- the loop probe --------------------------------------------------------------------------


def _environ(base: dict, method: bytes, target: bytes, fields: list, version: str) -> dict:
    path, _, query = target.decode("latin-1").partition("?")
    if "%" in path:
        path = unquote_to_bytes(path).decode("latin-1")
    environ = base.copy()
    environ["REQUEST_METHOD"] = method.decode("ascii")
    environ["PATH_INFO"] = path
    environ["QUERY_STRING"] = query
    environ["SERVER_PROTOCOL"] = version
    for name, value in fields:
        key = name.decode("latin-1").upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
        environ[key] = value.decode("latin-1")
    return environ


def _call(app: Callable, environ: dict) -> tuple[int, str, list, bytes]:
    started: list = []

    def start_response(status: str, headers: list, exc_info: Any = None) -> None:
        started[:] = status, headers

    body = b"".join(app(environ, start_response))
    status, headers = started
    return int(status[:3]), status[4:], headers, body


class _Requests(_Head):
    """httptools callbacks of the probe: complete heads queue up (pipelining)."""

    __slots__ = ("ready", "parser")

    def __init__(self) -> None:
        super().__init__()
        self.ready: deque = deque()
        self.parser: Any = None

    def on_message_complete(self) -> None:
        parser = self.parser
        version = "HTTP/" + parser.get_http_version()
        keep = parser.should_keep_alive()
        self.ready.append((parser.get_method(), self.url, self.fields, version, keep))


def serve_httptools(sock: Any, app: Callable, base: dict) -> None:
    requests = _Requests()
    parser = requests.parser = httptools.HttpRequestParser(requests)
    while True:
        data = sock.recv(READ_SIZE)
        if not data:
            return
        try:
            parser.feed_data(data)
        except httptools.HttpParserError:
            return
        while requests.ready:
            method, url, fields, version, keep = requests.ready.popleft()
            code, reason, headers, body = _call(app, _environ(base, method, url, fields, version))
            lines = [f"HTTP/1.1 {code} {reason}\r\n"]
            lines += [f"{name}: {value}\r\n" for name, value in headers]
            if not keep:
                lines.append("Connection: close\r\n")
            lines.append("\r\n")
            sock.sendall("".join(lines).encode("latin-1") + body)
            if not keep:
                return


def serve_h11(sock: Any, app: Callable, base: dict) -> None:
    conn = h11.Connection(h11.SERVER)
    while True:
        try:
            event = conn.next_event()
        except h11.RemoteProtocolError:
            return
        if event is h11.NEED_DATA:
            conn.receive_data(sock.recv(READ_SIZE))
        elif isinstance(event, h11.Request):
            version = "HTTP/" + event.http_version.decode("ascii")
            environ = _environ(base, event.method, event.target, event.headers, version)
            code, reason, headers, body = _call(app, environ)
            out = conn.send(h11.Response(status_code=code, headers=headers, reason=reason))
            sock.sendall(out + conn.send(h11.Data(data=body)) + conn.send(h11.EndOfMessage()))
        elif isinstance(event, h11.EndOfMessage):
            if conn.our_state is not h11.DONE:
                return  # MUST_CLOSE: HTTP/1.0 or Connection: close
            conn.start_next_cycle()
        else:  # ConnectionClosed, PAUSED
            return


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="a minimal eventlet loop with one parser")
    parser.add_argument("--parser", choices=("httptools", "h11"), required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    import eventlet

    eventlet.monkey_patch()
    from bench_apps import bare_app

    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    sock = eventlet.listen((args.host, args.port), backlog=4096)
    host, port = sock.getsockname()[:2]
    base = {
        "SCRIPT_NAME": "",
        "SERVER_NAME": host,
        "SERVER_PORT": str(port),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    serve = serve_httptools if args.parser == "httptools" else serve_h11
    pool = eventlet.GreenPool(10000)

    def connection(client: Any) -> None:
        try:
            serve(client, bare_app, base)
        except OSError:
            pass
        finally:
            client.close()

    logging.info("probe (%s) listening on http://%s:%d", args.parser, host, port)
    stop: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.append(signum))

    def accept() -> None:
        while True:
            client, _ = sock.accept()
            pool.spawn_n(connection, client)

    acceptor = eventlet.spawn(accept)
    while not stop and not acceptor.dead:
        eventlet.sleep(0.1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
