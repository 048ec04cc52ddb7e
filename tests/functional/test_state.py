"""State: a failing request changes nothing, and what was answered survives ``kill -9``.

Runs against tests/apps/functional_store.py, a SQLite-backed API that
persists the way the demo must (one transaction per request, committed
before the answer).  When the SQLite demo of issue 5 lands, point STORE_INI,
COLLECTION and the bodies here at it.
"""

import json
import shutil
import signal
import socket
import sqlite3

import pytest

from .conftest import Corpus, assert_fault, start_server
from .rawhttp import request
from conftest import CONFIGS

pytestmark = pytest.mark.slow  # every case talks to a real stackapi-server

STORE_INI = CONFIGS / "functional_store.ini"
COLLECTION = "/v1/items"
AUTH = [("X-Auth-Token", "alice:p1")]
JSON = [("Content-Type", "application/json")]


def item(name: str, size: int = 1) -> bytes:
    return json.dumps({"item": {"name": name, "size": size}}).encode()


@pytest.fixture
def store_ini(tmp_path):
    """A private copy of the store's ini: its database lives in tmp_path."""
    path = tmp_path / "store.ini"
    shutil.copy(STORE_INI, path)
    return path


def rows(ini) -> list[tuple]:
    """The table as the database file has it (read directly, not through the API)."""
    conn = sqlite3.connect(f"file:{ini.parent / 'functional_store.sqlite'}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT id, name, size FROM items ORDER BY id").fetchall()
    finally:
        conn.close()


def listed(corpus: Corpus) -> list[tuple]:
    resp = corpus.exchange(request("GET", COLLECTION, AUTH))
    assert resp.status == 200, resp.raw
    return [(i["id"], i["name"], i["size"]) for i in resp.json()["items"]]


def create(corpus: Corpus, name: str, size: int = 1) -> dict:
    resp = corpus.exchange(request("POST", COLLECTION, AUTH + JSON, item(name, size)))
    assert resp.status == 201, resp.raw
    return resp.json()["item"]


BAD_REQUESTS = {
    # name: (method, path below the first item or the collection, headers, body, status)
    "malformed json": ("POST", "", JSON, b'{"item": {', 400),
    "not an object": ("POST", "", JSON, b"[1]", 400),
    "wrong media type": ("POST", "", [("Content-Type", "text/plain")], item("t"), 415),
    "too large": ("POST", "", JSON, item("x" * 5000), 413),
    "invalid item": ("POST", "", JSON, item("", 5), 400),
    "duplicate name": ("POST", "", JSON, item("first"), 409),
    "update of a missing item": ("PUT", "/999", JSON, item("m"), 404),
    "rename onto a taken name": ("PUT", "/{first}", JSON, item("second"), 409),
    "delete of a missing item": ("DELETE", "/999", [], b"", 404),
    "split failing half-way": (
        "POST",
        "/{first}/action",
        JSON,
        json.dumps({"split": {"names": ["part-1", "part-2", "", "part-4"]}}).encode(),
        400,
    ),
    "unknown action": ("POST", "/{first}/action", JSON, b'{"explode": {}}', 400),
    "method override": ("POST", "/{first}?_method=DELETE", [], b"", 405),
    "content-length with transfer-encoding": (
        "POST",
        "",
        JSON + [("Content-Length", "3"), ("Transfer-Encoding", "chunked")],
        b"%x\r\n%s\r\n0\r\n\r\n" % (len(item("clte")), item("clte")),
        400,
    ),
}


@pytest.fixture(scope="module")
def store_server(tmp_path_factory):
    """The store on a private database, with three items; shared by the module."""
    ini = tmp_path_factory.mktemp("store") / "store.ini"
    shutil.copy(STORE_INI, ini)
    server = start_server(ini, ini.parent)
    try:
        store = Corpus(server, (COLLECTION, AUTH))
        ids = [create(store, name, n)["id"] for n, name in enumerate(["first", "second", "third"])]
        yield server, ini, ids[0]
    finally:
        server.kill()


@pytest.mark.parametrize("case", BAD_REQUESTS.values(), ids=BAD_REQUESTS.keys())
def test_a_failing_request_leaves_the_state_unchanged(store_server, case):
    server, ini, first = store_server
    store = Corpus(server, (COLLECTION, AUTH))
    method, path, headers, body, status = case
    before = rows(ini)
    assert listed(store) == before and len(before) == 3

    data = request(method, COLLECTION + path.format(first=first), AUTH + headers, body)
    assert_fault(store.exchange(data), status)
    assert rows(ini) == before
    assert listed(store) == before
    store.still_serving()


def test_a_request_without_a_token_is_refused_before_the_store(store_server):
    server, ini, _ = store_server
    store = Corpus(server, (COLLECTION, AUTH))
    before = rows(ini)
    assert_fault(store.exchange(request("POST", COLLECTION, JSON, item("anonymous"))), 401)
    assert rows(ini) == before
    store.still_serving()


def test_a_client_vanishing_mid_body_changes_nothing(store_server):
    server, ini, _ = store_server
    store = Corpus(server, (COLLECTION, AUTH))
    before = rows(ini)
    body = item("half-sent")
    for half_close in (True, False):
        sock = socket.create_connection(store.address, timeout=10)
        head = request("POST", COLLECTION, AUTH + JSON + [("Content-Length", str(len(body)))])
        sock.sendall(head + body[: len(body) // 2])
        if half_close:
            sock.shutdown(socket.SHUT_WR)
            sock.recv(65536)  # the 400 for a short body
        sock.close()
    assert listed(store) == before == rows(ini)
    store.still_serving()


def test_what_was_answered_survives_kill_9(run_server, store_ini):
    store = Corpus(run_server(store_ini), (COLLECTION, AUTH))
    created = [create(store, f"durable-{n}", n) for n in range(20)]
    resp = store.exchange(
        request("PUT", f"{COLLECTION}/{created[0]['id']}", AUTH + JSON, item("renamed", 99))
    )
    assert resp.status == 200
    assert (
        store.exchange(request("DELETE", f"{COLLECTION}/{created[1]['id']}", AUTH)).status == 204
    )
    answered = listed(store)

    store.server.proc.send_signal(signal.SIGKILL)
    store.server.proc.wait(30)

    restarted = Corpus(run_server(store_ini), (COLLECTION, AUTH))
    assert listed(restarted) == answered == rows(store_ini)
    assert (created[0]["id"], "renamed", 99) in answered
    assert created[1]["id"] not in [row[0] for row in answered]
    restarted.still_serving()


def test_a_write_interrupted_by_kill_9_is_all_or_nothing(run_server, store_ini):
    store = Corpus(run_server(store_ini), (COLLECTION, AUTH))
    original = create(store, "to-split")
    before = rows(store_ini)
    split = {"split": {"names": [f"piece-{n}" for n in range(10)], "pause": 0.3}}
    with store.connect() as conn:
        conn.send(
            request(
                "POST",
                f"{COLLECTION}/{original['id']}/action",
                AUTH + JSON,
                json.dumps(split).encode(),
            )
        )
        store.wait_log(f"split of item {original['id']} started")
        store.server.proc.send_signal(signal.SIGKILL)  # mid-transaction
        store.server.proc.wait(30)
    restarted = Corpus(run_server(store_ini), (COLLECTION, AUTH))
    assert listed(restarted) == before == rows(store_ini)
    restarted.still_serving()
