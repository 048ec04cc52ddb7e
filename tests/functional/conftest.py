"""Corpus fixtures: module-scoped real servers and the checks every case ends with.

``demo`` serves a copy of etc/api-paste.ini (its SQLite file in a tmp dir),
``misbehaving`` serves tests/configs/functional_app.ini; both are started once
per test module (the cases do not change what the next one sees, except the
demo's servers, which each case names uniquely).  Each test gets a
:class:`Corpus` handle that knows where the server log stood when the test
began, so ``still_serving()`` can tell whether *this* case left a traceback.

Everything the demo API looks like (paths, token, bodies) is in this file:
when the demo changes, this is the one place to update.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from pathlib import Path

import pytest

from conftest import CONFIGS, ServerProcess, server_args
from demo_config import demo_ini
from stackapi.demo.images import CIRROS
from stackapi.faults import fault_name

from .rawhttp import Connection, Response, request

# --- the demo API (etc/api-paste.ini, docs/demo.md) -----------------------------------
API = "/v2.1"
COLLECTION = API + "/servers"
TOKEN = "alice:demo"
AUTH = [("X-Auth-Token", TOKEN)]
JSON = [("Content-Type", "application/json")]
CREATED = 202  # nova answers a server create with 202 Accepted
ALLOW_MEMBER = "GET, HEAD, PUT, DELETE"  # the Allow header of a server's URL
LIMIT = 114688  # the demo's max_request_body_size

# Seconds for lines logged after the probe's response to reach the log file.  Short: a
# traceback logged later than that is still caught when the module's server stops.
LOG_SETTLE = 0.05
LOG_TIMEOUT = 10.0

#: What a fault body must never show: tracebacks, file names, library and class names.
INTERNALS = re.compile(
    r'Traceback|File "|\.py\b|eventlet|webob|routes\.|paste\.|object at 0x'
    r"|\b[A-Z][A-Za-z]*(Error|Exception)\b"
)


def create_body(name: str) -> bytes:
    """A valid create document for the demo collection."""
    return json.dumps({"server": {"name": name, "flavorRef": "1", "imageRef": CIRROS}}).encode()


def created_id(resp: Response) -> str:
    """The id of the server a create answered with."""
    assert resp.status == CREATED, resp.raw[:2000]
    return resp.json()["server"]["id"]


def unique_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def create_request(body: bytes, headers: list[tuple[str, str]] | None = None) -> bytes:
    """``POST`` to the demo collection, authenticated, JSON unless ``headers`` say else."""
    extra = headers if headers is not None else JSON
    return request("POST", COLLECTION, AUTH + extra, body)


# --- checks -----------------------------------------------------------------------------
def assert_fault(resp: Response, status: int) -> dict:
    """``resp`` is the JSON fault of ``status`` in nova's shape, revealing nothing."""
    assert resp.status == status, resp.raw[:2000]
    assert resp.header("Content-Type") == "application/json", resp.raw[:2000]
    document = resp.json()
    name = fault_name(status)
    assert list(document) == [name], document
    assert document[name]["code"] == status
    message = document[name]["message"]
    assert isinstance(message, str) and message
    assert not INTERNALS.search(resp.body.decode("utf-8", "replace")), resp.body
    return document[name]


class Corpus:
    """A running server as one test sees it: its address, and its log since the test began."""

    def __init__(
        self, server: ServerProcess, probe: tuple[str, list] = (COLLECTION, AUTH)
    ) -> None:
        self.server = server
        self.address = ("127.0.0.1", server.port)
        self.probe_path, self.probe_headers = probe
        self.mark = server.log_size()

    def connect(self, timeout: float = 10.0) -> Connection:
        return Connection(self.address, timeout=timeout)

    def exchange(self, data: bytes, method: str = "GET") -> Response:
        """Send ``data`` on a new connection and read one response."""
        with self.connect() as conn:
            conn.send(data)
            return conn.read_response(method)

    def log(self) -> str:
        """The server log written since this test began."""
        return self.server.log_text(self.mark)

    def wait_log(self, pattern: str, timeout: float = LOG_TIMEOUT) -> re.Match:
        return self.server.wait_log(pattern, timeout, since=self.mark)

    def still_serving(self) -> Response:
        """The end of every case: a fresh, valid request is answered; no traceback logged."""
        resp = self.exchange(request("GET", self.probe_path, self.probe_headers))
        assert resp.status == 200, resp.raw[:2000]
        assert resp.header("Content-Type") == "application/json"
        request_id = resp.header("x-openstack-request-id")
        self.wait_log(re.escape(request_id))  # the server has logged up to this request
        time.sleep(LOG_SETTLE)
        log = self.log()
        assert "Traceback" not in log, log
        return resp


def start_server(ini: Path, log_dir: Path, *flags: str) -> ServerProcess:
    """A ``stackapi-server`` on 127.0.0.1, port 0 (the caller kills it)."""
    server = ServerProcess(server_args(ini, *flags), log_dir / "server.log")
    return server.wait_listening()


def _module_server(tmp_path_factory, request, ini: Path | None, *flags: str):
    log_dir = tmp_path_factory.mktemp(ini.stem if ini else "demo")
    ini = ini or demo_ini(log_dir)  # the demo's database lands next to its log
    server = start_server(ini, log_dir, *flags)
    yield server
    server.kill()
    failed = request.session.testsfailed
    if failed:
        print(f"--- log of {ini.name} ({failed} failure(s) so far) in {server.log_path}")
    assert "Traceback" not in server.log_text(), f"a traceback in {server.log_path}"


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory, request):
    yield from _module_server(tmp_path_factory, request, None)


@pytest.fixture(scope="module")
def misbehaving_server(tmp_path_factory, request):
    yield from _module_server(tmp_path_factory, request, CONFIGS / "functional_app.ini")


@pytest.fixture
def demo(demo_server) -> Corpus:
    """The demo ini, served for real (shared by the module), seen from this test."""
    return Corpus(demo_server)


@pytest.fixture
def misbehaving(misbehaving_server) -> Corpus:
    """tests/configs/functional_app.ini, served for real (shared by the module)."""
    return Corpus(misbehaving_server, ("/ok", []))


def server_names(corpus: Corpus) -> list[str]:
    """The names of the demo's servers (alice's project, newest first), through the API."""
    resp = corpus.exchange(request("GET", COLLECTION + "?limit=1000", AUTH))
    assert resp.status == 200, resp.raw
    servers = resp.json()["servers"]
    assert len(servers) < 1000, "more servers than one page: the corpus creates too many"
    return [s["name"] for s in servers]
