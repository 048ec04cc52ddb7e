"""Benchmark: stackapi-server and the stack against bare eventlet.wsgi, in one run.

    .venv/bin/pip install -e '.[test,bench]'       # granian, matplotlib, h11
    .venv/bin/python tools/bench.py                # full run, about 13 minutes
    .venv/bin/python tools/bench.py --quick        # about 5 minutes
    .venv/bin/python tools/bench.py --draw bench-results.json   # the picture again

Needs wrk (``apt-get install wrk``).  Not part of CI.  Method, figures and the
picture: docs/performance.md.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import bench_apps
import bench_load
import bench_report
import bench_servers
from bench_servers import REPO, Server

import stackapi
from stackapi.route_index import RouteIndex
from stackapi.server.settings import DEFAULTS  # no eventlet: --check reads it too

CONCURRENCY = (1, 50, 1000)
TARGET_C = 50  # the concurrency of the targets
ROUTE_COUNTS = (10, 100, 1000)
SLEEPERS = 1000  # test 2: requests that each block 1 s
IDLE_GET_TIMEOUT = 10.0  # test 3: the requests sent while the idle connections are open
#: Test 3's second request, after the last connect: beyond the server's grace for new
#: silent connections (FIRST_REQUEST_GRACE, 2 s), when it may close one at the cap.
IDLE_LATER_S = 3.0
#: Test 6: one kept-alive connection, 500 requests one after the other.  With more
#: connections one trip through the hub serves several requests, how many depends on
#: the machine's load, and so would the count (50 x 40 moved 64k-112k on the probe).
CALLGRIND_REQUESTS = (1, 500)


@dataclass(frozen=True)
class Row:
    """One server of the run: its results key, how it is started, what the table says."""

    name: str
    kind: str  # bench_servers.KINDS
    ini: str | None  # a key of bench_servers.write_inis()
    label: str


ROWS = (
    Row("bare", "bare", "bare", "eventlet.wsgi, bare function (the reference)"),
    Row("server", "stackapi", "bare", "stackapi-server, bare function"),
    Row("stack", "stackapi", "user", "stackapi-server, user's ini, quiet logging"),
    Row("stack_log", "stackapi", "user_nolog", "stackapi-server, user's ini, no logging sections"),
    Row("demo", "stackapi", "demo", "stackapi-server, the demo's API pipeline"),
    Row("granian", "granian", "user", "granian (1 worker, 1 thread) + wsgi_app, user's ini"),
)
#: Not in the default run (--rows granian_defaults): granian's own thread defaults.
EXTRA_ROWS = (
    Row("granian_defaults", "granian-defaults", "user", "granian (1 worker, its defaults)"),
)
PROBES = (
    Row("probe_httptools", "probe-httptools", None, "loop probe, httptools"),
    Row("probe_h11", "probe-h11", None, "loop probe, h11"),
)
ROW_BY_NAME = {row.name: row for row in (*ROWS, *EXTRA_ROWS, *PROBES)}


@dataclass
class Profile:
    runs: int  # runs of each wrk measure; the table shows their median
    seconds: float  # length of one wrk run
    burst_runs: int  # runs of the 1000 x 1 s burst
    idle: int  # test 3: idle connections held open


PROFILES = {
    "full": Profile(runs=5, seconds=5, burst_runs=3, idle=10_000),
    "quick": Profile(runs=3, seconds=2, burst_runs=3, idle=10_000),
}


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def spread(values: list[float]) -> float:
    """(max - min) / median, in percent: how much the runs disagree."""
    mid = median(values)
    return (max(values) - min(values)) / mid * 100 if values and mid else 0.0


def paired_ratio(reports: list[dict], bare: list[dict], key: str) -> float:
    """Median of run i's value over bare's run i: each pair ran in the same round,
    so both saw about the same load from the rest of the machine."""
    pairs = [r[key] / b[key] for r, b in zip(reports, bare, strict=True) if r[key] and b[key]]
    return median(pairs)


class Servers:
    """The servers of one test, started on the servers' core, stopped by PID at the end."""

    def __init__(self, rows: list[Row], inis: dict, workdir: Path, cpus: str | None) -> None:
        self.rows, self.inis, self.workdir, self.cpus = rows, inis, workdir, cpus
        self.started: dict[str, Server] = {}

    def __enter__(self) -> dict[str, Server]:
        try:
            for row in self.rows:
                ini = self.inis[row.ini] if row.ini else None
                log = self.workdir / f"{row.name}-{len(os.listdir(self.workdir))}.log"
                self.started[row.name] = bench_servers.start_server(
                    row.kind, ini, log, self.cpus, row.name
                )
        except BaseException:
            self.__exit__()
            raise
        return self.started

    def __exit__(self, *exc: object) -> None:
        for server in self.started.values():
            server.stop()


# -- test 1: throughput, latency, CPU ------------------------------------------------------


def measure_wrk(server: Server, path: str, connections: int, seconds: float, cpus) -> dict:
    """One wrk run, with the server's CPU seconds per request over it."""
    before = server.cpu_seconds()
    report = bench_load.run_wrk(server.url + path, connections, seconds, cpus)
    used = server.cpu_seconds() - before
    report["cpu_us_per_req"] = used / report["requests"] * 1e6 if report["requests"] else None
    return report


def test_throughput(
    servers: dict[str, Server], profile: Profile, client_cpus, concurrency=CONCURRENCY
) -> dict:
    """req/s, latency percentiles and CPU per request at each concurrency.

    Rounds: in each, every concurrency, and at each every server back to back
    (the reference first), so a ratio pairs runs a few seconds apart.
    """
    for server in servers.values():  # warm-up: imports, first-call caches, pool growth
        bench_load.run_wrk(server.url + "/v1/ping", 50, 1, client_cpus)
    runs: dict = {name: {c: [] for c in concurrency} for name in servers}
    loads = []
    for _ in range(profile.runs):
        loads.append(os.getloadavg()[0])
        for connections in concurrency:
            for name, server in servers.items():
                report = measure_wrk(server, "/v1/ping", connections, profile.seconds, client_cpus)
                runs[name][connections].append(report)
    result = {name: {c: summarize_wrk(r) for c, r in by_c.items()} for name, by_c in runs.items()}
    for by_c in result.values():
        for connections, summary in by_c.items():
            bare = runs["bare"][connections]
            for key in ("rps", "cpu_us_per_req", "p99_us"):
                summary[key + "_ratio"] = paired_ratio(summary["runs"], bare, key)
    return {"rows": result, "loadavg_by_round": loads}


def summarize_wrk(reports: list[dict]) -> dict:
    rps = [r["rps"] for r in reports]
    cpu = [r["cpu_us_per_req"] for r in reports if r["cpu_us_per_req"] is not None]
    summary = {
        "rps": median(rps),
        "rps_min": min(rps),
        "rps_max": max(rps),
        "rps_spread_pct": spread(rps),
        "cpu_us_per_req": median(cpu),
        "cpu_spread_pct": spread(cpu),
        "errors": sum(r["errors"] for r in reports),
        "runs": reports,
    }
    for key in ("p50", "p90", "p99", "max"):
        values = [r[key + "_us"] / 1000 for r in reports]
        summary[key + "_ms"] = median(values)
        summary[key + "_spread_pct"] = spread(values)
    return summary


# -- test 0: the stack in-process ------------------------------------------------------------


def test_in_process(inis: dict, seconds: float) -> dict:
    """The app's cost per request without any server: called directly with one
    ``GET /v1/ping`` environ (best of 5 loops; the steadiest figure)."""
    environ = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/v1/ping",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in bench_load.HEADERS.items()},
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.input_terminated": True,
    }
    apps = {
        "bare": bench_apps.bare_app,
        "stack": stackapi.loadapp(str(inis["user"])),
        "demo": stackapi.loadapp(str(inis["demo"])),
    }
    return {name: {"us_per_req": time_wsgi(app, environ, seconds)} for name, app in apps.items()}


def time_wsgi(app, environ: dict, seconds: float) -> float:
    """Best of 5 timed loops of ``app(environ)``, each about ``seconds / 5`` long."""

    def start_response(status, headers, exc_info=None):
        assert status.startswith("200"), status

    def one() -> None:
        body = app({**environ, "wsgi.input": io.BytesIO(b"")}, start_response)
        for _ in body:
            pass
        if hasattr(body, "close"):
            body.close()

    return bench_load.best_us(one, seconds, loops=5)


# -- test 2: 1000 x 1 s in flight, peak RSS ------------------------------------------------


def test_sleepers(servers: dict[str, Server], profile: Profile) -> tuple[dict, dict]:
    """1000 connections at once, one ``GET /v1/sleep`` each; the peak RSS after."""
    sleep: dict = {name: [] for name in servers}
    rss: dict = {}
    for name, server in servers.items():
        bench_load.burst(server.url + "/v1/ping", 50, timeout=30)  # warm-up
        rss[name] = {"idle_kib": server.peak_rss_kib()}
    for _ in range(profile.burst_runs):
        for name, server in servers.items():
            sleep[name].append(bench_load.burst(server.url + "/v1/sleep", SLEEPERS, 30))
    for name, server in servers.items():
        rss[name]["peak_kib"] = server.peak_rss_kib()
    return summarize_bursts(sleep), rss


def summarize_bursts(runs: dict) -> dict:
    return {
        name: {
            "wall_s": median([r["wall_s"] for r in reports]),
            "wall_spread_pct": spread([r["wall_s"] for r in reports]),
            "successes": min(r["successes"] for r in reports),
            "errors": sum(r["errors"] for r in reports),
            "runs": reports,
        }
        for name, reports in runs.items()
    }


# -- test 3: idle connections ------------------------------------------------------------------


def test_idle(server: Server, count: int, cap: int | None, later_s: float = IDLE_LATER_S) -> dict:
    """``count`` connections that send nothing, held open; a GET meanwhile, twice: as
    soon as they are all accepted, and ``later_s`` after the last connect.

    All within the server's client_header_timeout (60 s by default).  RSS growth
    is VmRSS once the connections are accepted and the server is quiet again,
    minus VmRSS before, per connection.  ``cap``: the server's max_connections;
    a GET beyond it may close the oldest idle connection, by design.
    """
    bench_load.timed_get(server.url + "/v1/ping", 10)  # warm-up
    settle(server)
    rss_before, fds_before = server.rss_kib(), server.open_fds()
    start = time.monotonic()
    socks, failed = bench_load.open_idle(server.url, count, seconds=30)
    connect_s = time.monotonic() - start
    deadline = time.monotonic() + 20
    while server.open_fds() - fds_before < len(socks) and time.monotonic() < deadline:
        time.sleep(0.2)
    accepted = server.open_fds() - fds_before
    settle(server)
    rss_after = server.rss_kib()
    try:
        first = bench_load.timed_get(server.url + "/v1/ping", IDLE_GET_TIMEOUT)
        time.sleep(max(0.0, start + connect_s + later_s - time.monotonic()))
        later = bench_load.timed_get(server.url + "/v1/ping", IDLE_GET_TIMEOUT)
        kept = bench_load.still_open(socks)
    finally:
        bench_load.close_all(socks)
    evictions = max(0, len(socks) + 2 - cap) if cap else 0
    closed = len(socks) - kept
    return {
        "connections": count,
        "connect_failed": failed,
        "connect_s": connect_s,
        "accepted": accepted,
        "still_open": kept,
        "closed_by_server": closed,
        "evicted_by_design": min(closed, evictions),
        "errors": failed + closed - min(closed, evictions),
        "get_status": first["status"],
        "get_error": first["error"],
        "get_ms": first["seconds"] * 1000,
        "later_status": later["status"],
        "later_error": later["error"],
        "later_ms": later["seconds"] * 1000,
        "rss_before_kib": rss_before,
        "rss_after_kib": rss_after,
        "rss_per_connection_bytes": (rss_after - rss_before) * 1024 / max(accepted, 1),
    }


def settle(server: Server, seconds: float = 10.0) -> None:
    """Wait (bounded) until the server uses under 2 % of a core over 0.25 s."""
    deadline = time.monotonic() + seconds
    before = server.cpu_seconds()
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = server.cpu_seconds()
        if now - before < 0.005:
            return
        before = now


# -- test 6: instructions per request ------------------------------------------------------


def test_instructions(
    rows: list[Row],
    inis: dict,
    workdir: Path,
    cpus,
    requests: tuple[int, int] | None = None,
    pythonpath: str | None = None,
) -> dict:
    """User-space instructions per request of each server, counted by callgrind
    (``requests``: kept-alive connections x requests on each).

    The one figure the neighbours' load does not move: the server runs under
    ``valgrind --tool=callgrind`` with counting off; it is switched on for exactly
    :data:`CALLGRIND_REQUESTS` requests and off again.  Kernel work (system calls,
    the network) is not counted: CPU time is the figure of record, this one says
    where the user-space work went.
    """
    wrapper = (
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        "--callgrind-out-file=/dev/null",
    )
    connections, each = requests or CALLGRIND_REQUESTS
    result = {}
    for row in rows:
        log = workdir / f"callgrind-{row.name}.log"
        ini = inis[row.ini] if row.ini else None
        server = bench_servers.start_server(
            row.kind, ini, log, cpus, row.name, wrapper, pythonpath
        )
        try:
            bench_load.keepalive_requests(server.url + "/v1/ping", 10, 5, 120)  # warm-up
            control = ["callgrind_control", "-i"]
            switch = {"capture_output": True, "check": True, "timeout": 60}
            subprocess.run([*control, "on", str(server.pid)], **switch)
            ok = bench_load.keepalive_requests(server.url + "/v1/ping", connections, each, 600)
            subprocess.run([*control, "off", str(server.pid)], **switch)
        finally:
            server.stop()
        counted = re.search(r"Collected : (\d+)", server.log_text())
        total = connections * each
        result[row.name] = {
            "requests": total,
            "ok": ok,
            "instructions": int(counted.group(1)) if counted else None,
            "per_request": int(counted.group(1)) / total if counted else None,
        }
    return result


# -- test 4: routing ---------------------------------------------------------------------------


def test_routing(workdir: Path, profile: Profile, cpus, client_cpus) -> dict:
    """p50 of a request matching the last of N routes, through the server, c=1."""
    ini = bench_servers.write_routing_ini(workdir, ROUTE_COUNTS)
    server = bench_servers.start_server("stackapi", ini, workdir / "routing.log", cpus)
    try:
        paths = {n: f"/r{n}{bench_apps.last_route_path(n)}" for n in ROUTE_COUNTS}
        for path in paths.values():
            bench_load.run_wrk(server.url + path, 1, 1, client_cpus)  # warm-up
        runs: dict = {n: [] for n in ROUTE_COUNTS}
        for _ in range(profile.runs):
            for n, path in paths.items():
                report = bench_load.run_wrk(server.url + path, 1, profile.seconds, client_cpus)
                runs[n].append(report)
    finally:
        server.stop()
    result = {
        n: {
            "p50_us": median([r["p50_us"] for r in reports]),
            "p50_spread_pct": spread([r["p50_us"] for r in reports]),
            "errors": sum(r["errors"] for r in reports),
            "runs": reports,
        }
        for n, reports in runs.items()
    }
    low, high = ROUTE_COUNTS[0], ROUTE_COUNTS[-1]
    result["ratio"] = result[high]["p50_us"] / result[low]["p50_us"]
    result["in_process_us"] = routematch_micro()
    return result


def routematch_micro() -> dict:
    """In-process: us per match of the last route, plain ``Mapper.routematch`` vs RouteIndex."""
    result = {}
    for n in ROUTE_COUNTS:
        mapper = bench_apps.many_routes_mapper(n, stackapi.Resource(bench_apps.ItemsController()))
        environ = {"PATH_INFO": bench_apps.last_route_path(n), "REQUEST_METHOD": "GET"}
        timings = {}
        for label, matcher in (("routes", mapper), ("route_index", RouteIndex(mapper))):
            assert matcher.routematch(environ=environ), (label, n)
            timings[label] = bench_load.best_us(
                lambda m=matcher, e=environ: m.routematch(environ=e), 0.5, loops=5
            )
        result[n] = timings
    return result


# -- running -------------------------------------------------------------------------------


def wait_for_quiet(max_load: float, max_wait: float) -> float:
    """Wait (at most ``max_wait`` s) for the 1-minute load average to drop to ``max_load``."""
    deadline = time.monotonic() + max_wait
    load = os.getloadavg()[0]
    while load > max_load and time.monotonic() < deadline:
        print(f"bench: load average {load:.2f} > {max_load}: waiting", file=sys.stderr)
        time.sleep(min(15.0, max(0.0, deadline - time.monotonic())))
        load = os.getloadavg()[0]
    return load


def machine_info(args: argparse.Namespace, profile: Profile, pinned: bool, fd_limit: int) -> dict:
    def output(*command: str) -> str:
        return subprocess.run(command, capture_output=True, text=True).stdout.strip()

    return {
        "commit": output("git", "-C", str(REPO), "rev-parse", "--short", "HEAD"),
        "dirty": bool(output("git", "-C", str(REPO), "status", "--porcelain", "stackapi")),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "stackapi": str(Path(stackapi.__file__).parent),  # PYTHONPATH can point elsewhere
        "quick": args.quick,
        "profile": asdict(profile),
        "cpus": os.cpu_count(),
        "pinned": pinned,
        "fd_limit": fd_limit,
        "python": platform.python_version(),
        "wrk": output(bench_load.wrk_path() or "wrk", "--version").split(" [")[0],
        "loadavg_start": os.getloadavg(),
    }


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short runs (about 5 minutes)")
    parser.add_argument("--json", default="bench-results.json", help="where to write the results")
    parser.add_argument(
        "--png", default=str(REPO / "docs" / "performance.png"), help="where to draw the run"
    )
    parser.add_argument("--draw", metavar="JSON", help="only draw the picture of a saved run")
    parser.add_argument(
        "--tests", default="1,2,3,4,5,6", help="which tests to run, e.g. 1,3 (0 runs with 1)"
    )
    parser.add_argument(
        "--rows",
        help="throughput rows (default: all but granian_defaults): "
        + ",".join(row.name for row in (*ROWS, *EXTRA_ROWS)),
    )
    parser.add_argument(
        "--concurrency",
        default=",".join(map(str, CONCURRENCY)),
        help="wrk -c values of the throughput test",
    )
    parser.add_argument("--runs", type=int, help="override the number of runs")
    parser.add_argument("--seconds", type=float, help="override the length of a wrk run")
    parser.add_argument(
        "--max-load", type=float, default=1.5, help="wait for the 1-min load to drop to this"
    )
    parser.add_argument(
        "--max-wait", type=float, default=300, help="seconds to wait for it (then run anyway)"
    )
    parser.add_argument(
        "--no-pin", action="store_true", help="do not pin servers and client to separate cores"
    )
    return parser


def run_tests(
    tests: set[str], rows: list[Row], profile: Profile, concurrency, cpus, client_cpus
) -> dict:
    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="stackapi-bench-") as tmp:
        workdir = Path(tmp)
        inis = bench_servers.write_inis(workdir)
        if "1" in tests:
            results["in_process"] = test_in_process(inis, 1.0)
            with Servers(rows, inis, workdir, cpus) as servers:
                results["throughput"] = test_throughput(servers, profile, client_cpus, concurrency)
        if "2" in tests:
            chosen = [ROW_BY_NAME[name] for name in ("bare", "server", "stack")]
            with Servers(chosen, inis, workdir, cpus) as servers:
                results["sleep"], results["rss"] = test_sleepers(servers, profile)
        if "3" in tests:
            results["idle"] = {}
            cap = DEFAULTS["max_connections"]
            for name, count in (("server", profile.idle), ("stack", profile.idle), ("bare", 1000)):
                with Servers([ROW_BY_NAME[name]], inis, workdir, cpus) as servers:
                    limit = cap if name != "bare" else None
                    results["idle"][name] = test_idle(servers[name], count, limit)
        if "4" in tests:
            results["routing"] = test_routing(workdir, profile, cpus, client_cpus)
        if "5" in tests:
            import bench_parsers  # h11: the bench extra

            results["parsers"] = bench_parsers.in_process()
            probes = [ROW_BY_NAME["bare"], ROW_BY_NAME["server"], *PROBES]
            with Servers(probes, inis, workdir, cpus) as servers:
                results["probes"] = test_throughput(servers, profile, client_cpus, (TARGET_C,))
        if "6" in tests:
            if shutil.which("valgrind") and shutil.which("callgrind_control"):
                chosen = [row for row in (*rows, *PROBES) if not row.kind.startswith("granian")]
                results["instructions"] = test_instructions(chosen, inis, workdir, cpus)
            else:
                print("bench: valgrind is not installed (apt-get install valgrind): no test 6")
    return results


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.draw:
        results = bench_report.load(Path(args.draw))
        return draw(results, Path(args.png))
    if bench_load.wrk_path() is None:
        print("bench: wrk is not installed: apt-get install wrk", file=sys.stderr)
        return 2
    profile = PROFILES["quick" if args.quick else "full"]
    profile = Profile(**{**asdict(profile), **_overrides(args)})
    rows = [ROW_BY_NAME[name] for name in args.rows.split(",")] if args.rows else list(ROWS)
    if rows[0].name != "bare":
        rows.insert(0, ROW_BY_NAME["bare"])  # every ratio is to it
    if not bench_servers.has_granian():
        print("bench: granian is not installed (pip install -e '.[bench]'): no granian row")
        rows = [row for row in rows if not row.kind.startswith("granian")]
    pinned = (os.cpu_count() or 1) >= 2 and not args.no_pin
    # The servers on core 1; wrk and this process (the burst and idle clients) on core 0.
    cpus, client_cpus = ("1", "0") if pinned else (None, None)
    if pinned:
        os.sched_setaffinity(0, {0})
    fd_limit = bench_servers.raise_fd_limit(profile.idle + 2000)
    if fd_limit < profile.idle + 100:
        print(f"bench: the fd limit stays at {fd_limit}: test 3 will see errors", file=sys.stderr)
    wait_for_quiet(args.max_load, args.max_wait)
    results: dict = {"meta": machine_info(args, profile, pinned, fd_limit)}
    results["meta"]["rows"] = {row.name: row.label for row in (*rows, *PROBES)}
    concurrency = tuple(int(c) for c in args.concurrency.split(","))
    tests = set(args.tests.split(","))
    results.update(run_tests(tests, rows, profile, concurrency, cpus, client_cpus))
    results["meta"]["loadavg_end"] = os.getloadavg()
    print(bench_report.format_report(results))
    Path(args.json).write_text(json.dumps(results, indent=1, default=str) + "\n")
    print(f"results: {args.json}")
    return draw(results, Path(args.png)) if "throughput" in results else 0


def draw(results: dict, png: Path) -> int:
    try:
        import bench_plot
    except ImportError as exc:
        print(f"bench: no picture ({exc.name} is not installed: pip install -e '.[bench]')")
        return 0
    bench_plot.draw(results, png)
    print(f"picture: {png}")
    return 0


def _overrides(args: argparse.Namespace) -> dict:
    given = {"runs": args.runs, "burst_runs": args.runs, "seconds": args.seconds}
    return {key: value for key, value in given.items() if value is not None}


if __name__ == "__main__":
    sys.exit(main())
