"""Smoke test of tools/bench.py's pieces (no wrk needed): the inis it writes, its apps,
its parser figures, its report, its picture and its server processes, so that the
benchmark keeps running as the demo and the server change.  The benchmark itself is
not part of the suite (docs/performance.md)."""

import configparser
import json
import sys
import urllib.request

import pytest

from conftest import REPO, testapp

sys.path.insert(0, str(REPO / "tools"))

import bench  # noqa: E402
import bench_apps  # noqa: E402
import bench_load  # noqa: E402
import bench_report  # noqa: E402
import bench_servers  # noqa: E402

import stackapi  # noqa: E402
from stackapi.route_index import RouteIndex  # noqa: E402

TOKEN = {"X-Auth-Token": "bench:bench"}


def _ini(path):
    parser = configparser.RawConfigParser()
    parser.read(path)
    return parser


def test_inis_serve_ping_with_the_stacks_they_name(tmp_path):
    inis = bench_servers.write_inis(tmp_path)
    assert stackapi.loadapp(str(inis["bare"])) is bench_apps.bare_app
    for name in ("user", "user_nolog", "demo"):
        resp = testapp(stackapi.loadapp(str(inis[name]))).get("/v1/ping", headers=TOKEN)
        assert resp.json == {"ping": "pong"}
        assert resp.headers["x-openstack-request-id"].startswith("req-")
    user, nolog = _ini(inis["user"]), _ini(inis["user_nolog"])
    pipeline = user.get("pipeline:api_v1", "pipeline").split()
    assert pipeline == [*bench_servers.USER_FILTERS, "bench_app"]
    for parser in (user, nolog, _ini(inis["bare"])):
        assert not parser.has_section("server:main")  # every limit at its default
    logging_sections = ("logger", "handler", "formatter")
    assert nolog.sections() == [s for s in user.sections() if not s.startswith(logging_sections)]
    access = [
        s for s in user.sections() if user.get(s, "qualname", fallback="").endswith("access")
    ]
    assert [user.get(s, "level") for s in access] == ["WARNING"]
    names, _ = bench_servers.demo_filters()
    assert len(names) >= 3  # the demo's pipeline has filters to measure
    demo = _ini(inis["demo"]).get("pipeline:api_v1", "pipeline").split()
    assert demo == [*names, "bench_app"]


def test_routing_apps_match_the_last_route(tmp_path):
    ini = bench_servers.write_routing_ini(tmp_path, (10, 1000))
    app = testapp(stackapi.loadapp(str(ini)))
    for count in (10, 1000):
        assert app.get(f"/r{count}{bench_apps.last_route_path(count)}").json == {"ping": "pong"}
    mapper = bench_apps.many_routes_mapper(1000, "items")
    environ = {"PATH_INFO": bench_apps.last_route_path(1000), "REQUEST_METHOD": "GET"}
    assert RouteIndex(mapper).routematch(environ=environ) == mapper.routematch(environ=environ)


def test_both_parsers_read_the_same_head_and_write_the_same_response():
    h11 = pytest.importorskip("h11")
    httptools = pytest.importorskip("httptools")
    import bench_parsers

    sink = bench_parsers._Head()
    parser = httptools.HttpRequestParser(sink)
    for _ in range(2):  # a kept parser reads the next head too
        method, url, fields = bench_parsers.parse_httptools(parser, sink)
        assert (method, url) == bench_parsers.parse_h11()[:2]
        assert [(n.lower(), v) for n, v in fields] == bench_parsers.parse_h11()[2]
        assert len(fields) == 8
    conn = h11.Connection(h11.SERVER)
    for _ in range(2):
        assert bench_parsers.cycle_h11(conn) == bench_parsers.cycle_httptools(parser, sink)
    figures = bench_parsers.in_process(seconds=0.05)
    assert len(figures["us"]) == 5 and all(us > 0 for us in figures["us"].values())


def _wrk(rps: float, cpu: float, p99: float) -> dict:
    return {
        "rps": rps,
        "cpu_us_per_req": cpu,
        "errors": 0,
        **{f"{p}_us": p99 * 1000 * f for p, f in (("p50", 0.3), ("p90", 0.6), ("p99", 1))},
        "max_us": p99 * 2000,
    }


def _fake_throughput() -> dict:
    """Three rows, three runs each, as test_throughput would summarize them."""
    runs = {
        "bare": [_wrk(3000, 300, 40), _wrk(3300, 290, 42), _wrk(2900, 310, 38)],
        "server": [_wrk(6000, 120, 10), _wrk(5100, 130, 12), _wrk(5800, 110, 9)],
        "stack_log": [_wrk(2400, 400, 100), _wrk(2500, 390, 70), _wrk(2300, 410, 90)],
    }
    rows = {name: {50: bench.summarize_wrk(r)} for name, r in runs.items()}
    for name, by_c in rows.items():
        for key in ("rps", "cpu_us_per_req", "p99_us"):
            by_c[50][key + "_ratio"] = bench.paired_ratio(runs[name], runs["bare"], key)
    return {"rows": rows, "loadavg_by_round": [0.5, 0.6, 0.7]}


def test_report_pairs_runs_and_checks_the_targets(tmp_path):
    results = {
        "meta": {
            "commit": "abc1234",
            "date": "today",
            "cpus": 2,
            "pinned": True,
            "stackapi": "x",
            "loadavg_start": [0.5],
            "loadavg_end": [0.9],
            "profile": {"runs": 3, "seconds": 5},
            "rows": {"bare": "the reference"},
        },
        "throughput": _fake_throughput(),
    }
    server = results["throughput"]["rows"]["server"][50]
    assert server["rps"] == 5800 and server["rps_ratio"] == pytest.approx(5800 / 2900)
    checks = {goal: (got, ok) for goal, got, ok in bench_report.targets(results)}
    assert checks["bare function: stackapi-server req/s >= 1.5x"] == ("2.00x", True)
    assert checks["bare function: CPU per request <= 0.7x"][1] is True
    assert checks["user's ini, no logging: p99 <= 2x"] == (
        "2.37x",
        False,
    )  # paired: 100/40, 70/42, 90/38
    text = bench_report.format_report(results)
    assert "the reference" in text and "[ ] user's ini, no logging: p99 <= 2x: 2.37x" in text
    saved = tmp_path / "results.json"
    saved.write_text(json.dumps(results))
    assert bench_report.load(saved)["throughput"]["rows"]["server"][50]["rps"] == 5800
    pytest.importorskip("matplotlib")
    import bench_plot

    bench_plot.draw(results, tmp_path / "run.png")
    assert (tmp_path / "run.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _get(url: str) -> bytes:
    with urllib.request.urlopen(urllib.request.Request(url, headers=TOKEN), timeout=10) as resp:
        return resp.read()


@pytest.mark.slow
def test_servers_start_answer_log_as_configured_and_stop(tmp_path):
    inis = bench_servers.write_inis(tmp_path)
    cases = [
        ("bare", inis["bare"]),
        ("stackapi", inis["bare"]),
        ("stackapi", inis["user"]),
        ("stackapi", inis["user_nolog"]),
        ("probe-httptools", None),
    ]
    if bench_servers.has_granian():
        cases.append(("granian", inis["user"]))
    for index, (kind, ini) in enumerate(cases):
        server = bench_servers.start_server(kind, ini, tmp_path / f"{index}.log")
        try:
            assert json.loads(_get(server.url + "/v1/ping")) == {"ping": "pong"}
            assert server.cpu_seconds() > 0 and server.peak_rss_kib() > 0
            if kind == "stackapi":  # the per-request line only without logging sections
                _get(server.url + "/v1/ping")
                logged = '"GET /v1/ping HTTP/1.1" status: 200' in server.log_text()
                assert logged == (ini == inis["user_nolog"]), server.log()
        finally:
            server.stop()
        assert server.proc.returncode == 0, server.log()


@pytest.mark.slow
def test_idle_connections_are_held_and_requests_answered_meanwhile(tmp_path):
    server = bench_servers.start_server(
        "stackapi", bench_servers.write_bare_ini(tmp_path), tmp_path / "idle.log"
    )
    try:
        result = bench.test_idle(server, 50, cap=10_000, later_s=0.2)
        assert result["errors"] == 0 and result["accepted"] >= 50
        assert result["get_status"] == result["later_status"] == 200
        assert result["still_open"] == 50
        assert bench_load.timed_get(server.url + "/v1/ping", 10)["status"] == 200
        assert bench_load.keepalive_requests(server.url + "/v1/ping", 3, 4, 30) == 12
    finally:
        server.stop()


@pytest.mark.slow
def test_a_variant_directory_comes_first_on_the_servers_path(tmp_path):
    """What tools/bench_ab.py's B runs: the directory's modules before the installed ones."""
    variant = tmp_path / "variant"
    variant.mkdir()
    (variant / "sitecustomize.py").write_text(
        "import sys\nprint('variant loaded', file=sys.stderr)\n"
    )
    ini = bench_servers.write_bare_ini(tmp_path)
    for path, loaded in ((None, False), (str(variant), True)):
        server = bench_servers.start_server(
            "stackapi", ini, tmp_path / f"{loaded}.log", pythonpath=path
        )
        try:
            assert json.loads(_get(server.url + "/v1/ping")) == {"ping": "pong"}
        finally:
            server.stop()
        assert ("variant loaded" in server.log_text()) == loaded
