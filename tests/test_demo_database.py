"""The demo when its database is not there: 503 with Retry-After, bounded in time, then back.

A real stackapi-server on a real PostgreSQL: one of this test's own, stopped
and started again ("down"); or the run's one behind tests/tcpproxy.py, which
goes silent ("unresponsive": connections accepted, never answered).  A bad
``connection`` is one line at start naming the file, the section and the key.
"""

import subprocess
import time

import pytest

from conftest import server_command
from demo_client import ALICE, call, create
from postgres import PostgresServer
from tcpproxy import TcpProxy

pytestmark = pytest.mark.slow

OPERATOR = "detailed = true\nallowed_source_ranges = 127.0.0.1"
# The store's bounds (stackapi/demo/store.py): QUERY_TIMEOUT 10 s for an answer,
# connect_timeout (2 s in these URLs) for a new connection.
UNRESPONSIVE_BOUND = 10 + 2 + 8  # seconds, generous


def unavailable(status, headers, body):
    assert (status, list(body)) == (503, ["serviceUnavailable"]), body
    assert body["serviceUnavailable"]["message"] == "The database is unavailable; retry later."
    assert headers["Retry-After"] == "5"


def health(url):
    status, _, body = call(f"{url}/healthcheck")
    return status, body


@pytest.fixture
def own_postgres(tmp_path, postgres):  # `postgres`: skips (with the reason) where it cannot run
    server = PostgresServer.start(tmp_path / "own-postgres")
    yield server
    server.stop()


def test_a_stopped_database_is_a_503_with_retry_after_until_it_is_back(
    run_server, tmp_path, own_postgres
):
    from demo_config import demo_ini

    url = own_postgres.create_database()
    ini = demo_ini(tmp_path, connection=url + "?connect_timeout=2", health_options=OPERATOR)
    server = run_server(ini)
    status, _, body = create(server.url, "before")
    assert status == 202
    kept = body["server"]["id"]
    assert health(server.url)[0] == 200

    own_postgres.stop()
    started = time.monotonic()
    unavailable(*call(f"{server.url}/v2.1/servers", headers=ALICE))
    unavailable(*create(server.url, "while-down"))
    status, body = health(server.url)
    assert time.monotonic() - started < 10  # refused connections: no waiting
    assert status == 503
    assert body["serviceUnavailable"]["message"] == "The database is unreachable."
    assert "Connection refused" in body["serviceUnavailable"]["backends"]["database"]["details"]
    assert call(f"{server.url}/")[0] == 200  # what needs no database still answers

    own_postgres.run()  # same port, same data
    status, _, body = call(f"{server.url}/v2.1/servers", headers=ALICE)
    assert status == 200  # the first request after: pooled connections were re-checked
    assert [s["id"] for s in body["servers"]] == [kept]
    assert health(server.url)[0] == 200
    assert server.stop() == 0
    log = server.log_text()
    assert "unavailable, answering 503" in log and "Traceback" not in log


def test_an_unresponsive_database_is_a_503_within_a_bound_and_the_rest_goes_on(
    run_server, tmp_path, postgres
):
    from demo_config import demo_ini

    proxy = TcpProxy(postgres.port)
    try:
        url = postgres.create_database().replace(f":{postgres.port}/", f":{proxy.port}/")
        server = run_server(demo_ini(tmp_path, connection=url + "?connect_timeout=2"))
        assert create(server.url, "before")[0] == 202

        proxy.freeze()
        started = time.monotonic()
        result = {}
        waiting = _in_thread(
            lambda: result.update(api=call(f"{server.url}/v2.1/servers", headers=ALICE))
        )
        time.sleep(1)
        # Meanwhile the process serves what needs no database (psycopg waits green).
        quick = time.monotonic()
        assert call(f"{server.url}/")[0] == 200
        assert time.monotonic() - quick < 2
        waiting.join(UNRESPONSIVE_BOUND + 5)
        unavailable(*result["api"])
        assert time.monotonic() - started < UNRESPONSIVE_BOUND

        proxy.thaw()
        assert call(f"{server.url}/v2.1/servers", headers=ALICE)[0] == 200
        assert server.stop() == 0
        assert "Traceback" not in server.log_text()
    finally:
        proxy.close()


@pytest.mark.parametrize(
    ("connection", "reason"),
    [
        ("no url at all", "expected a database URL"),
        ("postgresql+psycopg://u:secret@127.0.0.1:1/db?connect_timeout=2", "Connection refused"),
        ("mysql://u:secret@127.0.0.1/db", "No module named"),
    ],
    ids=["not a url", "unreachable", "no driver"],
)
def test_a_bad_connection_is_one_line_at_start(tmp_path, connection, reason):
    from demo_config import demo_ini

    ini = demo_ini(tmp_path, connection=connection)
    done = subprocess.run(
        [*server_command(), "--config", str(ini), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"stackapi-server: error: {ini}: [app:compute_api] connection: ")
    assert reason in line and "secret" not in line


def _in_thread(function):
    import threading

    thread = threading.Thread(target=function, daemon=True)
    thread.start()
    return thread


def test_sighup_closes_the_old_apps_connections(run_server, tmp_path, postgres):
    """A reload builds a new engine; the old one's pooled connections are closed."""
    import signal

    import psycopg

    from demo_config import demo_ini

    url = postgres.create_database()
    dbname = url.rsplit("/", 1)[1]

    def connections() -> set[int]:
        """PostgreSQL's backend pids serving this database (but this query's)."""
        with psycopg.connect(postgres.dsn(dbname)) as db:
            rows = db.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (dbname,),
            ).fetchall()
        return {pid for (pid,) in rows}

    server = run_server(demo_ini(tmp_path, connection=url))
    for _ in range(3):
        assert call(f"{server.url}/v2.1/servers", headers=ALICE)[0] == 200
    before = connections()
    assert before

    server.proc.send_signal(signal.SIGHUP)
    server.wait_log("reloaded: new requests go to the new app")
    assert call(f"{server.url}/v2.1/servers", headers=ALICE)[0] == 200
    deadline = time.monotonic() + 10
    while connections() & before and time.monotonic() < deadline:
        time.sleep(0.1)  # a backend exits once it reads the client's goodbye
    after = connections()
    assert after and not after & before
    assert server.stop() == 0
