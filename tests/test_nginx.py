"""A real proxy in front: Debian's nginx with etc/nginx-stackapi.conf, two servers, PostgreSQL.

The two stackapi-servers run the shipped ini on one PostgreSQL database, with
``http_proxy_to_wsgi`` trusting only 127.0.0.1 (nginx).  Clients connect to
nginx from 127.0.0.2, so that the address the app sees tells whose it is.
"""

import http.client
import json
import signal
import ssl
import threading
import time
from collections import Counter

import pytest

from conftest import skip_unavailable
from demo_client import ALICE, call
from demo_config import demo_ini
from nginx import Nginx, Unavailable
from postgres import free_port
from stackapi.demo.images import CIRROS
from tcpproxy import TcpProxy

pytestmark = pytest.mark.slow

CLIENT_ADDRESS = "127.0.0.2"  # loopback, but not the proxy's 127.0.0.1
LOAD_THREADS = 8
LOAD_LIMIT = 20000  # requests per run of the load, at most
TIMEOUT = 30.0


@pytest.fixture
def stack(tmp_path, postgres, run_server):
    """nginx on two backends sharing a PostgreSQL database: (nginx, backends, ini, ports)."""
    url = postgres.create_database()
    proxy = TcpProxy(postgres.port)  # the second backend's way to the database
    inis = [
        demo_ini(tmp_path, connection=url, trusted_proxies="127.0.0.1", name="a.ini"),
        demo_ini(
            tmp_path,
            connection=url.replace(f":{postgres.port}/", f":{proxy.port}/"),
            trusted_proxies="127.0.0.1",
            name="b.ini",
        ),
    ]
    ports = [free_port(), free_port()]
    backends = [
        run_server(ini, "--port", str(port)) for ini, port in zip(inis, ports, strict=True)
    ]
    try:
        nginx = Nginx.start(tmp_path / "nginx", ports)
    except Unavailable as exc:
        proxy.close()
        skip_unavailable(f"nginx cannot run here: {exc}")
    yield nginx, backends, inis, ports, proxy
    nginx.stop()
    proxy.close()


def request(url, method="GET", path="/", body=None, headers=None, tls=None):
    """One request from CLIENT_ADDRESS: (status, headers, parsed body or None)."""
    host, port = url.split("://")[1].rsplit(":", 1)
    if url.startswith("https"):
        conn = http.client.HTTPSConnection(
            host, int(port), timeout=TIMEOUT, context=tls, source_address=(CLIENT_ADDRESS, 0)
        )
    else:
        conn = http.client.HTTPConnection(
            host, int(port), timeout=TIMEOUT, source_address=(CLIENT_ADDRESS, 0)
        )
    try:
        data = json.dumps(body).encode() if body is not None else None
        sent = {**(headers or {}), **({"Content-Type": "application/json"} if data else {})}
        conn.request(method, path, body=data, headers=sent)
        resp = conn.getresponse()
        raw = resp.read()
        return resp.status, resp.headers, json.loads(raw) if raw else None
    finally:
        conn.close()


def test_links_use_the_proxys_scheme_and_host(stack):
    nginx, backends, *_ = stack
    tls = ssl.create_default_context(cafile=str(nginx.cert))
    for base, context in ((nginx.url, None), (nginx.tls_url, tls)):
        status, _, body = request(base, tls=context)
        assert status == 200
        assert body["versions"][0]["links"] == [{"rel": "self", "href": f"{base}/v2.1/"}]
        body = {"server": {"name": "linked", "flavorRef": "1", "imageRef": CIRROS}}
        status, headers, created = request(base, "POST", "/v2.1/servers", body, ALICE, context)
        assert status == 202
        server_id = created["server"]["id"]
        assert headers["Location"] == f"{base}/v2.1/servers/{server_id}"
        assert created["server"]["links"][1]["href"] == f"{base}/servers/{server_id}"


def test_a_clients_forwarding_headers_never_reach_the_app(stack):
    nginx, backends, *_ = stack
    forged = {
        "X-Forwarded-For": "6.6.6.6",
        "Forwarded": "for=7.7.7.7;proto=https;host=evil.example",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "evil.example",
        "X-Forwarded-Prefix": "/evil",
    }
    for _ in range(4):  # both backends, whichever nginx picks
        status, headers, body = request(nginx.url, headers=forged)
        assert status == 200
        assert body["versions"][0]["links"][0]["href"] == f"{nginx.url}/v2.1/"

    def access_lines() -> tuple[str, list[str]]:
        logs = "".join(backend.log_text() for backend in backends)
        lines = logs.splitlines()
        return logs, [ln for ln in lines if "stackapi.access" in ln and '"GET /"' in ln]

    deadline = time.monotonic() + TIMEOUT  # a line is written once its response is sent
    while len(access_lines()[1]) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    logs, lines = access_lines()
    assert len(lines) == 4
    assert all(f"] {CLIENT_ADDRESS} " in line for line in lines), lines  # nginx's word
    assert "6.6.6.6" not in logs and "7.7.7.7" not in logs


def load(url, stop, results, paths):
    """GETs through nginx until ``stop`` (or LOAD_LIMIT in all): (path, status or error)."""

    def client(n):
        conn = http.client.HTTPConnection(
            url.split("://")[1].rsplit(":", 1)[0],
            int(url.rsplit(":", 1)[1]),
            timeout=TIMEOUT,
            source_address=(CLIENT_ADDRESS, 0),
        )
        i = n
        while not stop.is_set() and len(results) < LOAD_LIMIT:
            path = paths[i % len(paths)]
            i += 1
            try:
                conn.request("GET", path, headers=ALICE)
                resp = conn.getresponse()
                resp.read()
                results.append((path, resp.status))
            except (OSError, http.client.HTTPException) as exc:
                results.append((path, f"{type(exc).__name__}: {exc}"))
                conn.close()
        conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(LOAD_THREADS)]
    for thread in threads:
        thread.start()
    return threads


def test_a_backend_restarted_under_load_drops_no_idempotent_request(stack, run_server):
    nginx, backends, inis, ports, _ = stack
    body = {"server": {"name": "x", "flavorRef": "1", "imageRef": CIRROS}}
    status, _, body = request(nginx.url, "POST", "/v2.1/servers", body, ALICE)
    assert status == 202
    paths = ["/", "/v2.1/servers", f"/v2.1/servers/{body['server']['id']}", "/v2.1/flavors"]
    stop, results = threading.Event(), []
    threads = load(nginx.url, stop, results, paths)
    time.sleep(1.0)
    before = len(results)
    assert backends[0].stop(signal.SIGTERM) == 0  # drains, exits
    down = len(results)
    backends[0] = run_server(inis[0], "--port", str(ports[0]))
    time.sleep(1.0)
    stop.set()
    for thread in threads:
        thread.join(TIMEOUT)
    statuses = Counter(status for _, status in results)
    print(
        f"\n{len(results)} GETs through nginx, {LOAD_THREADS} at a time; backend A stopped"
        f" (SIGTERM) after {before}, restarted after {down}: {dict(statuses)}"
    )
    assert before > 0 and len(results) > down
    assert statuses == {200: len(results)}


def test_a_backend_without_its_database_gets_no_traffic(stack):
    nginx, backends, _, _, proxy = stack
    assert call(f"{backends[1].url}/healthcheck")[0] == 200
    proxy.close()  # backend B's database is gone (connections refused)
    assert call(f"{backends[1].url}/healthcheck")[0] == 503
    assert call(f"{backends[1].url}/v2.1/servers", headers=ALICE)[0] == 503
    statuses = Counter(
        request(nginx.url, path="/v2.1/servers", headers=ALICE)[0] for _ in range(20)
    )
    assert statuses == {200: 20}  # B's 503s were retried on A, then B left alone
    assert "upstream server temporarily disabled" in nginx.error_log()
