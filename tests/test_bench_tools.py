"""Smoke test of tools/bench.py's pieces (no wrk needed): the ini it derives from the
demo, its apps, and its server processes, so that the benchmark keeps running as the
demo changes.  The benchmark itself is not part of the suite (docs/performance.md)."""

import json
import sys
import urllib.request

import pytest

from conftest import REPO, testapp

sys.path.insert(0, str(REPO / "tools"))

import bench_apps  # noqa: E402
import bench_servers  # noqa: E402

import stackapi  # noqa: E402
from stackapi.route_index import RouteIndex  # noqa: E402


def test_stack_ini_has_the_demo_filters_and_serves_ping(tmp_path):
    ini = bench_servers.write_stack_ini(tmp_path)
    names, _ = bench_servers.demo_filters()
    assert len(names) >= 3  # the demo's pipeline has filters to measure
    app = testapp(stackapi.loadapp(str(ini)))
    resp = app.get("/v1/ping", headers={"X-Auth-Token": "bench:bench"})
    assert resp.json == {"ping": "pong"}
    assert resp.headers["x-openstack-request-id"].startswith("req-")
    for name in names:  # each demo filter is in the loaded chain
        assert f"[filter:{name}]" in ini.read_text()


def test_routing_apps_match_the_last_route(tmp_path):
    ini = bench_servers.write_routing_ini(tmp_path, (10, 1000))
    app = testapp(stackapi.loadapp(str(ini)))
    for count in (10, 1000):
        assert app.get(f"/r{count}{bench_apps.last_route_path(count)}").json == {"ping": "pong"}
    mapper = bench_apps.many_routes_mapper(1000, "items")
    environ = {"PATH_INFO": bench_apps.last_route_path(1000), "REQUEST_METHOD": "GET"}
    assert RouteIndex(mapper).routematch(environ=environ) == mapper.routematch(environ=environ)


@pytest.mark.slow
def test_bare_and_stack_servers_start_answer_and_stop(tmp_path):
    ini = bench_servers.write_stack_ini(tmp_path)
    for name in ("bare", "stack"):
        args = bench_servers.server_args(name, ini)  # the commands the bench runs
        server = bench_servers.Server(name, args, tmp_path / f"{name}.log").start()
        try:
            request = urllib.request.Request(
                server.url + "/v1/ping", headers={"X-Auth-Token": "bench:bench"}
            )
            with urllib.request.urlopen(request, timeout=10) as resp:
                assert json.loads(resp.read()) == {"ping": "pong"}
            assert server.cpu_seconds() > 0 and server.peak_rss_kib() > 0
        finally:
            server.stop()
        assert server.proc.returncode == 0, server.log()
