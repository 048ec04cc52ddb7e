"""The shipped etc/api-paste.ini serves: a real stackapi-server on 127.0.0.1.

The ini is copied into the test's tmp_path so that its SQLite file lands there;
the tests of state run on SQLite and on PostgreSQL (``demo_db``).
"""

import signal
from concurrent.futures import ThreadPoolExecutor

import pytest

from demo_client import ALICE, TIMEOUT, call, create
from demo_config import demo_ini

CONCURRENT_CREATES = 60


@pytest.mark.slow
def test_demo_answers_versions_choices_and_faults(run_server, tmp_path):
    server = run_server(demo_ini(tmp_path))
    status, headers, body = call(server.url + "/")
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert headers["x-openstack-request-id"].startswith("req-")
    assert body["versions"][0]["links"] == [{"rel": "self", "href": f"{server.url}/v2.1/"}]

    status, _, body = call(server.url + "/no/such/path")
    assert status == 300  # a URL without its version, as nova answers it
    assert body["choices"][0]["links"][0]["href"] == f"{server.url}/v2.1/no/such/path"

    status, headers, body = call(server.url + "/v2.1/no/such/path", headers=ALICE)
    assert (status, list(body)) == (404, ["itemNotFound"])
    assert headers["OpenStack-API-Version"] == "compute 2.1"
    assert server.stop() == 0
    assert "Traceback" not in server.log_text()


@pytest.mark.slow
def test_servers_survive_kill_9(run_server, tmp_path, demo_db):
    ini = demo_db.ini(tmp_path)
    server = run_server(ini)
    status, _, body = create(server.url, "durable")
    assert status == 202  # answered: so committed
    server_id = body["server"]["id"]
    assert (
        call(f"{server.url}/v2.1/servers/{server_id}/action", "POST", {"pause": None}, ALICE)[0]
        == 202
    )
    assert server.stop(signal.SIGKILL) == -signal.SIGKILL

    again = run_server(ini)
    status, _, body = call(f"{again.url}/v2.1/servers/{server_id}", headers=ALICE)
    assert (status, body["server"]["name"], body["server"]["status"]) == (200, "durable", "PAUSED")
    assert again.stop() == 0


@pytest.mark.slow
def test_concurrent_writes_under_eventlet(run_server, tmp_path, demo_db):
    """Many green threads write at once: every create lands, none waits on a locked file."""
    server = run_server(demo_db.ini(tmp_path))
    with ThreadPoolExecutor(20) as pool:
        futures = [pool.submit(create, server.url, f"s{i}") for i in range(CONCURRENT_CREATES)]
        statuses = [f.result(timeout=TIMEOUT * 2)[0] for f in futures]
    assert statuses == [202] * CONCURRENT_CREATES
    status, _, body = call(f"{server.url}/v2.1/servers", headers=ALICE)
    assert len(body["servers"]) == CONCURRENT_CREATES
    assert server.stop() == 0
    assert "locked" not in server.log_text() and "Traceback" not in server.log_text()
