"""The shipped etc/api-paste.ini serves: a real stackapi-server on 127.0.0.1."""

import json
import urllib.request

from conftest import DEMO_INI


def test_demo_answers_versions_and_a_fault(run_server):
    server = run_server(DEMO_INI)
    with urllib.request.urlopen(server.url + "/", timeout=10) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "application/json"
        assert resp.headers["x-openstack-request-id"].startswith("req-")
        assert "versions" in json.loads(resp.read())
    try:
        urllib.request.urlopen(server.url + "/no/such/path", timeout=10)
    except urllib.error.HTTPError as err:
        assert err.code == 404
        assert list(json.loads(err.read())) == ["itemNotFound"]
    else:
        raise AssertionError("expected a 404")
    assert server.stop() == 0
    assert "Traceback" not in server.log_text()
