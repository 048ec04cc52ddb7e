"""The demo ini, served for real: one request's whole story, on the wire and in the log.

The response headers, the access log line the server writes, and the request
id that ties them together (in the line and in the log record's
``[%(request_id)s]`` field).  The ini is the shipped one, copied into tmp_path
(so that its SQLite file lands there).
"""

import json
import re
import urllib.error
import urllib.request

import pytest

from demo_config import demo_ini

API_PATH = "/v2.1/servers"  # a collection of the demo API, served behind noauth
UI_ORIGIN = "http://localhost:8080"  # the demo's cors allowed_origin
TIMEOUT = 30


def fetch(url, headers=None):
    """``(status, headers, body)``; HTTP errors are answers too."""
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, err.headers, err.read()


def access_line(server, request_id):
    """The access log line of ``request_id`` (waits, bounded, for the server to write it)."""
    pattern = rf"(?m)^.*stackapi\.access \[{request_id}\] .*request_id: {request_id}$"
    return server.wait_log(pattern, timeout=TIMEOUT).group(0)


@pytest.mark.slow
def test_one_request_story(run_server, tmp_path):
    server = run_server(demo_ini(tmp_path))
    status, headers, body = fetch(
        server.url + API_PATH + "?limit=5",
        {"X-Auth-Token": "alice:demo", "Origin": UI_ORIGIN},
    )
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert isinstance(json.loads(body), dict)
    request_id = headers["x-openstack-request-id"]
    assert re.fullmatch(
        r"req-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", request_id
    )
    assert headers["Access-Control-Allow-Origin"] == UI_ORIGIN
    assert headers["Access-Control-Expose-Headers"] == (
        "X-OpenStack-Request-ID, Location, OpenStack-API-Version, X-OpenStack-Nova-API-Version"
    )
    assert headers["OpenStack-API-Version"] == "compute 2.1"
    assert headers["Vary"] == "OpenStack-API-Version, X-OpenStack-Nova-API-Version, Origin"
    assert headers["X-OpenStack-Nova-API-Version"] == "2.1"

    line = access_line(server, request_id)
    assert f'127.0.0.1 "GET {API_PATH}?limit=5" status: 200 len: {len(body)} time: ' in line
    assert " INFO stackapi.access " in line
    assert [ln for ln in server.log_text().splitlines() if request_id in ln] == [line]


@pytest.mark.slow
def test_refusals_have_their_story_too(run_server, tmp_path):
    server = run_server(demo_ini(tmp_path))
    status, headers, body = fetch(server.url + API_PATH)
    assert status == 401
    assert json.loads(body)["unauthorized"]["code"] == 401
    line = access_line(server, headers["x-openstack-request-id"])
    assert f'"GET {API_PATH}" status: 401 len: {len(body)} ' in line

    status, headers, body = fetch(server.url + "/healthcheck")
    assert (status, json.loads(body)) == (200, {"status": "OK"})
    assert headers["x-openstack-request-id"].startswith("req-")
