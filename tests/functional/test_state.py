"""State: a failing request changes nothing in the demo's database, nor does kill -9.

The demo (stackapi/demo/store.py) runs each request in one transaction,
committed before the answer.  These cases read its database directly (not
through the API) before and after, on SQLite and on PostgreSQL.
tests/apps/state_probe.py adds what the demo has no reason to have: a create
refused after its INSERT, and one that pauses after it, so that ``kill -9``
lands in the middle of a transaction.
"""

import json
import socket
import uuid
from pathlib import Path

import pytest

from conftest import DATABASES, new_demo_db
from demo_config import DemoDatabase

from .conftest import (
    AUTH,
    COLLECTION,
    JSON,
    LIMIT,
    Corpus,
    assert_fault,
    create_body,
    create_request,
    created_id,
    start_server,
)
from .rawhttp import chunked, request

pytestmark = pytest.mark.slow  # every case talks to a real stackapi-server

PROBE = "extensions = state_probe:StateProbe"
MISSING = str(uuid.uuid4())


def probe_ini(directory: Path, db: DemoDatabase) -> Path:
    """The shipped demo ini in ``directory`` on ``db``, with the state probe attached."""
    return db.ini(directory, api_options=PROBE)


def table(db: DemoDatabase) -> list[tuple]:
    """Every row of the servers table, all columns, as the database has it."""
    return db.select("SELECT * FROM servers ORDER BY seq")


def rows(db: DemoDatabase) -> list[tuple]:
    """(id, name, status, flavor) of project demo's servers, newest first, from the database."""
    return db.select(
        "SELECT id, name, status, flavor_id FROM servers WHERE project_id = 'demo'"
        " ORDER BY seq DESC",
    )


def listed(corpus: Corpus) -> list[tuple]:
    """The same, through the API."""
    resp = corpus.exchange(request("GET", COLLECTION + "/detail?limit=1000", AUTH))
    assert resp.status == 200, resp.raw
    return [(s["id"], s["name"], s["status"], s["flavor"]["id"]) for s in resp.json()["servers"]]


def create(corpus: Corpus, name: str) -> str:
    return created_id(corpus.exchange(create_request(create_body(name))))


def action(name: str, args: object = None) -> bytes:
    return json.dumps({name: args}).encode()


BOB = [("X-Auth-Token", "bob:other")]
TOO_LARGE = b'{"server": {"name": "' + b"x" * LIMIT + b'", "flavorRef": "1"}}'

BAD_REQUESTS = {
    # name: (method, path below the collection, headers, body, status); {first} is a server id
    "malformed json": ("POST", "", AUTH + JSON, b'{"server": {', 400),
    "not an object": ("POST", "", AUTH + JSON, b"[1]", 400),
    "wrong media type": ("POST", "", AUTH + [("Content-Type", "text/plain")], b"{}", 415),
    "too large": ("POST", "", AUTH + JSON, TOO_LARGE, 413),
    "too large, chunked": (
        "POST",
        "",
        AUTH + JSON + [("Transfer-Encoding", "chunked")],
        chunked(TOO_LARGE),
        413,
    ),
    "invalid name": ("POST", "", AUTH + JSON, create_body(""), 400),
    "unknown flavor": (
        "POST",
        "",
        AUTH + JSON,
        b'{"server": {"name": "f", "flavorRef": "999"}}',
        400,
    ),
    "refused after its insert": ("POST", "", AUTH + JSON, create_body("refuse-after-write"), 409),
    "no token": ("POST", "", JSON, create_body("anonymous"), 401),
    "update of a missing server": (
        "PUT",
        f"/{MISSING}",
        AUTH + JSON,
        b'{"server": {"name": "m"}}',
        404,
    ),
    "invalid rename": ("PUT", "/{first}", AUTH + JSON, b'{"server": {"name": " x"}}', 400),
    "delete of a missing server": ("DELETE", f"/{MISSING}", AUTH, b"", 404),
    "delete of another project's server": ("DELETE", "/{first}", BOB, b"", 404),
    "unpause of an active server": (
        "POST",
        "/{first}/action",
        AUTH + JSON,
        action("unpause"),
        409,
    ),
    "resize to the same flavor": (
        "POST",
        "/{first}/action",
        AUTH + JSON,
        action("resize", {"flavorRef": "1"}),
        400,
    ),
    "reset state by a non-admin": (
        "POST",
        "/{first}/action",
        AUTH + JSON,
        action("os-resetState", {"state": "error"}),
        403,
    ),
    "unknown action": ("POST", "/{first}/action", AUTH + JSON, action("explode", {}), 400),
    "method override": ("POST", "/{first}?_method=DELETE", AUTH, b"", 405),
    "content-length with transfer-encoding": (
        "POST",
        "",
        AUTH + JSON + [("Content-Length", "3"), ("Transfer-Encoding", "chunked")],
        chunked(create_body("clte")),
        400,
    ),
}


@pytest.fixture(scope="module", params=DATABASES)
def state_server(tmp_path_factory, request):
    """The demo on a private database with the state probe, three servers; shared by the module."""
    directory = tmp_path_factory.mktemp("state")
    db = new_demo_db(request, request.param, directory)
    server = start_server(probe_ini(directory, db), directory)
    try:
        first = [create(Corpus(server), n) for n in ("first", "b", "c")][0]
        yield server, db, first
    finally:
        server.kill()
    assert "Traceback" not in server.log_text(), f"a traceback in {server.log_path}"


@pytest.mark.parametrize("case", BAD_REQUESTS.values(), ids=BAD_REQUESTS.keys())
def test_a_failing_request_leaves_the_state_unchanged(state_server, case):
    server, db, first = state_server
    demo = Corpus(server)
    method, path, headers, body, status = case
    before = table(db)
    assert listed(demo) == rows(db) and len(before) == 3

    assert_fault(
        demo.exchange(request(method, COLLECTION + path.format(first=first), headers, body)),
        status,
    )
    assert table(db) == before
    demo.still_serving()


@pytest.mark.parametrize(
    "framing",
    [[("Content-Length", "0"), ("Content-Length", "{n}")], [("Content-Length", "+{n}")]],
    ids=["two lengths", "plus sign"],
)
def test_a_smuggled_create_changes_nothing(state_server, framing):
    server, db, _ = state_server
    demo = Corpus(server)
    before = table(db)
    smuggled = create_request(create_body("smuggled"))
    headers = [(k, v.format(n=len(smuggled))) for k, v in framing]
    with demo.connect() as conn:
        conn.send(request("POST", COLLECTION, AUTH + JSON + headers) + smuggled)
        assert_fault(conn.read_response(), 400)
        assert conn.closed_by_server() and conn.buffer == b""
    assert table(db) == before
    demo.still_serving()


def test_a_client_vanishing_mid_body_changes_nothing(state_server):
    server, db, _ = state_server
    demo = Corpus(server)
    before = table(db)
    body = create_body("half-sent")
    for half_close in (True, False):
        sock = socket.create_connection(demo.address, timeout=10)
        head = request("POST", COLLECTION, AUTH + JSON + [("Content-Length", str(len(body)))])
        sock.sendall(head + body[: len(body) // 2])
        if half_close:
            sock.shutdown(socket.SHUT_WR)
            assert b" 400 " in sock.recv(65536).split(b"\r\n")[0]  # the body ended early
        sock.close()
    assert table(db) == before
    demo.still_serving()


def test_what_was_answered_survives_kill_9(run_server, tmp_path, demo_db):
    db, ini = demo_db, probe_ini(tmp_path, demo_db)
    demo = Corpus(run_server(ini))
    ids = [create(demo, f"durable-{n}") for n in range(20)]
    renamed = demo.exchange(
        request("PUT", f"{COLLECTION}/{ids[0]}", AUTH + JSON, b'{"server": {"name": "renamed"}}')
    )
    assert renamed.status == 200, renamed.raw
    assert demo.exchange(request("DELETE", f"{COLLECTION}/{ids[1]}", AUTH)).status == 204
    paused = request("POST", f"{COLLECTION}/{ids[2]}/action", AUTH + JSON, action("pause"))
    assert demo.exchange(paused).status == 202
    answered = listed(demo)

    demo.server.kill()

    restarted = Corpus(run_server(ini))
    assert listed(restarted) == answered == rows(db)
    assert (ids[0], "renamed", "ACTIVE", "1") in answered
    assert (ids[2], "durable-2", "PAUSED", "1") in answered
    assert ids[1] not in [row[0] for row in answered] and len(answered) == 19
    restarted.still_serving()


def test_a_write_cut_by_kill_9_is_all_or_nothing(run_server, tmp_path, demo_db):
    db, ini = demo_db, probe_ini(tmp_path, demo_db)
    demo = Corpus(run_server(ini))
    create(demo, "kept")
    before = table(db)
    with demo.connect() as conn:
        conn.send(create_request(create_body("pause-after-write")))
        demo.wait_log("state probe: pause-after-write written, pausing")  # INSERT done
        demo.server.kill()  # SIGKILL, mid-transaction
    restarted = Corpus(run_server(ini))
    assert table(db) == before
    assert [row[1] for row in listed(restarted)] == ["kept"]
    restarted.still_serving()
