"""Benchmark: stackapi's stack against the bare eventlet server, in one run, on one machine.

    .venv/bin/python tools/bench.py            # full run, about 8 minutes
    .venv/bin/python tools/bench.py --quick    # about a minute

Needs wrk (``apt-get install wrk``) and, for server (c), gunicorn (``pip install
gunicorn``).  Not part of CI.  Method and figures: docs/performance.md.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import bench_apps
import bench_load
import bench_report
import bench_servers
from bench_servers import REPO, Server

import stackapi
from stackapi.route_index import RouteIndex

CONCURRENCY = (1, 50, 1000)
ROUTE_COUNTS = (10, 100, 1000)
SLEEPERS = 1000  # test 2: requests that each block 1 s
GUNICORN_THREADS = 50


@dataclass
class Profile:
    runs: int  # runs of each measure; the table shows their median
    seconds: float  # length of one wrk run
    burst_runs: int  # runs of the 1000 x 1 s and 10k-connection bursts
    connections: int  # test 3


PROFILES = {
    "full": Profile(runs=5, seconds=5, burst_runs=3, connections=10_000),
    "quick": Profile(runs=3, seconds=1, burst_runs=1, connections=10_000),
}


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def spread(values: list[float]) -> float:
    """(max - min) / median, in percent: how much the runs disagree."""
    mid = median(values)
    return (max(values) - min(values)) / mid * 100 if values and mid else 0.0


def start_servers(names: list[str], ini: Path, workdir: Path, cpus: str | None) -> list[Server]:
    started = []
    try:
        for name in names:
            if name == "gunicorn":
                server = Server(name, gunicorn_args(), workdir / f"{name}.log", gunicorn_env(ini))
            else:
                args = bench_servers.server_args(name, ini)
                server = Server(name, args, workdir / f"{name}-{ini.stem}.log")
            started.append(server.start(cpus))
    except BaseException:
        stop_servers(started)
        raise
    return started


def stop_servers(servers: list[Server]) -> None:
    for server in servers:
        server.stop()


def gunicorn_args() -> list[str]:
    command = bench_servers.gunicorn_command()
    assert command is not None
    args = [
        *command,
        "-k",
        "gthread",
        "--workers",
        "1",  # one process, as (a) and (b)
        "--threads",
        str(GUNICORN_THREADS),
        "--worker-connections",
        "2000",  # above the 1000 connections of the largest test
        "--backlog",
        "4096",
        "--keep-alive",
        "30",
        "--timeout",
        "60",
        "--bind",
        "127.0.0.1:0",
    ]
    help_text = subprocess.run([*command, "--help"], capture_output=True, text=True).stdout
    if "--no-control-socket" in help_text:  # gunicorn >= 25: one shared socket path otherwise
        args.append("--no-control-socket")
    return [*args, "stackapi.wsgi_app:application"]


def gunicorn_env(ini: Path) -> dict:
    return {**os.environ, "STACKAPI_CONFIG": str(ini)}


def measure_wrk(server: Server, path: str, connections: int, seconds: float, cpus) -> dict:
    """One wrk run, with the server's CPU seconds per request over it."""
    before = server.cpu_seconds()
    report = bench_load.run_wrk(server.url + path, connections, seconds, cpus)
    used = server.cpu_seconds() - before
    report["cpu_us_per_req"] = used / report["requests"] * 1e6 if report["requests"] else None
    return report


def test_throughput(servers: list[Server], profile: Profile, client_cpus) -> dict:
    """Test 1: req/s, p50/p99 and CPU per request at each concurrency, interleaved runs."""
    for server in servers:  # warm-up: imports, first-call caches, pool growth
        bench_load.run_wrk(server.url + "/v1/ping", 50, 1, client_cpus)
    runs: dict = {s.name: {c: [] for c in CONCURRENCY} for s in servers}
    for _ in range(profile.runs):
        for connections in CONCURRENCY:
            for server in servers:
                report = measure_wrk(server, "/v1/ping", connections, profile.seconds, client_cpus)
                runs[server.name][connections].append(report)
    result = {name: {c: summarize_wrk(r) for c, r in by_c.items()} for name, by_c in runs.items()}
    for by_c in result.values():
        for connections, summary in by_c.items():
            bare = runs["bare"][connections]
            summary["rps_ratio"] = paired_ratio(summary["runs"], bare, "rps")
            summary["cpu_ratio"] = paired_ratio(summary["runs"], bare, "cpu_us_per_req")
    return result


def paired_ratio(reports: list[dict], bare: list[dict], key: str) -> float:
    """Median of run i's value over bare's run i: each pair ran back to back, so both
    saw the same load from the rest of the machine."""
    pairs = [r[key] / b[key] for r, b in zip(reports, bare, strict=True) if r[key] and b[key]]
    return median(pairs)


def summarize_wrk(reports: list[dict]) -> dict:
    rps = [r["rps"] for r in reports]
    cpu = [r["cpu_us_per_req"] for r in reports if r["cpu_us_per_req"] is not None]
    return {
        "rps": median(rps),
        "rps_spread_pct": spread(rps),
        "p50_ms": median([r["p50_us"] / 1000 for r in reports]),
        "p99_ms": median([r["p99_us"] / 1000 for r in reports]),
        "cpu_us_per_req": median(cpu),
        "cpu_spread_pct": spread(cpu),
        "errors": sum(r["errors"] for r in reports),
        "runs": reports,
    }


def test_in_process(ini: Path, seconds: float) -> dict:
    """The stack's cost per request without any server: the app of the bench ini called
    directly with one GET /v1/ping environ (best of 5 runs; the steadiest figure)."""
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
    apps = {"bare": bench_apps.bare_app, "stack": stackapi.loadapp(str(ini))}
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

    start, count = time.perf_counter(), 0
    while time.perf_counter() - start < 0.2:  # warm-up, and a loop size to time
        one()
        count += 1
    loop = max(100, int(count * seconds / 5 / 0.2))
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(loop):
            one()
        best = min(best, (time.perf_counter() - start) / loop)
    return best * 1e6


def test_bursts(servers: list[Server], profile: Profile) -> tuple[dict, dict, dict]:
    """Tests 2, 5 and 3: 1000 x 1 s in flight (and peak RSS then), then N connections."""
    sleep: dict = {s.name: [] for s in servers}
    conns: dict = {s.name: [] for s in servers}
    rss: dict = {}
    for server in servers:
        bench_load.burst(server.url + "/v1/ping", 50, timeout=30)  # warm-up
        rss[server.name] = {"idle_kib": server.peak_rss_kib()}
    for _ in range(profile.burst_runs):
        for server in servers:
            sleep[server.name].append(bench_load.burst(server.url + "/v1/sleep", SLEEPERS, 30))
    for server in servers:
        rss[server.name]["peak_kib"] = server.peak_rss_kib()
    for _ in range(profile.burst_runs):
        for server in servers:
            conns[server.name].append(
                bench_load.burst(server.url + "/v1/ping", profile.connections, 120)
            )
    return summarize_bursts(sleep), rss, summarize_bursts(conns)


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


def test_routing(workdir: Path, profile: Profile, cpus, client_cpus) -> dict:
    """Test 4: p50 of a request matching the last of N routes, through the server, c=1."""
    ini = bench_servers.write_routing_ini(workdir, ROUTE_COUNTS)
    (server,) = start_servers(["stack"], ini, workdir, cpus)
    try:
        paths = {n: f"/r{n}{bench_apps.last_route_path(n)}" for n in ROUTE_COUNTS}
        for path in paths.values():
            bench_load.run_wrk(server.url + path, 1, 1, client_cpus)  # warm-up, and a 200?
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


def routematch_micro(repeat: int = 2000) -> dict:
    """In-process: us per match of the last route, plain ``Mapper.routematch`` vs RouteIndex."""
    result = {}
    for n in ROUTE_COUNTS:
        mapper = bench_apps.many_routes_mapper(n, stackapi.Resource(bench_apps.ItemsController()))
        environ = {"PATH_INFO": bench_apps.last_route_path(n), "REQUEST_METHOD": "GET"}
        timings = {}
        for label, matcher in (("routes", mapper), ("route_index", RouteIndex(mapper))):
            assert matcher.routematch(environ=environ), (label, n)
            best = float("inf")
            for _ in range(5):
                start = time.perf_counter()
                for _ in range(repeat):
                    matcher.routematch(environ=environ)
                best = min(best, (time.perf_counter() - start) / repeat * 1e6)
            timings[label] = best
        result[n] = timings
    return result


def machine_info(args: argparse.Namespace, profile: Profile, pinned: bool, fd_limit: int) -> dict:
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    wrk_version = subprocess.run(
        [bench_load.wrk_path() or "wrk", "--version"], capture_output=True, text=True
    ).stdout.split(" [")[0]
    return {
        "commit": commit,
        "stackapi": str(Path(stackapi.__file__).parent),  # PYTHONPATH can point elsewhere
        "quick": args.quick,
        "profile": asdict(profile),
        "cpus": os.cpu_count(),
        "pinned": pinned,
        "fd_limit": fd_limit,
        "python": platform.python_version(),
        "wrk": wrk_version,
        "loadavg_start": os.getloadavg(),
    }


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short runs (about a minute)")
    parser.add_argument("--json", default="bench-results.json", help="where to write the results")
    parser.add_argument(
        "--tests", default="1,2,3,4,5", help="which tests to run, e.g. 1,4 (2, 3, 5 run together)"
    )
    parser.add_argument("--runs", type=int, help="override the number of runs")
    parser.add_argument("--seconds", type=float, help="override the length of a wrk run")
    parser.add_argument(
        "--no-pin", action="store_true", help="do not pin servers and client to separate cores"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if bench_load.wrk_path() is None:
        print("bench: wrk is not installed: apt-get install wrk", file=sys.stderr)
        return 2
    profile = PROFILES["quick" if args.quick else "full"]
    profile = Profile(**{**asdict(profile), **_overrides(args)})
    tests = set(args.tests.split(","))
    pinned = (os.cpu_count() or 1) >= 2 and not args.no_pin
    # The servers on core 1; wrk and this process (the burst client) on core 0.
    cpus, client_cpus = ("1", "0") if pinned else (None, None)
    if pinned:
        os.sched_setaffinity(0, {0})
    fd_limit = bench_servers.raise_fd_limit(profile.connections + 2000)
    if fd_limit < profile.connections + 100:
        print(f"bench: the fd limit stays at {fd_limit}: test 3 will see errors", file=sys.stderr)
    names = ["bare", "stack"]
    if bench_servers.gunicorn_command():
        names.append("gunicorn")
    else:
        print("bench: gunicorn is not installed (pip install gunicorn): no column (c)")
    results: dict = {"meta": machine_info(args, profile, pinned, fd_limit)}
    with tempfile.TemporaryDirectory(prefix="stackapi-bench-") as tmp:
        workdir = Path(tmp)
        ini = bench_servers.write_stack_ini(workdir)
        if "1" in tests:
            results["in_process"] = test_in_process(ini, min(profile.seconds, 5))
            servers = start_servers(names, ini, workdir, cpus)
            try:
                results["throughput"] = test_throughput(servers, profile, client_cpus)
            finally:
                stop_servers(servers)
        if tests & {"2", "3", "5"}:
            servers = start_servers(["bare", "stack"], ini, workdir, cpus)
            try:
                results["sleep"], results["rss"], results["connections"] = test_bursts(
                    servers, profile
                )
            finally:
                stop_servers(servers)
        if "4" in tests:
            results["routing"] = test_routing(workdir, profile, cpus, client_cpus)
    results["meta"]["loadavg_end"] = os.getloadavg()
    print(bench_report.format_table(results, ROUTE_COUNTS))
    meta = results["meta"]
    print(
        f"\nstackapi from {meta['stackapi']} (repo at {meta['commit']}),"
        f" {meta['cpus']} CPUs, pinned={meta['pinned']},"
        f" load average {meta['loadavg_start'][0]:.2f} -> {meta['loadavg_end'][0]:.2f};"
        " ±: spread (max-min)/median of the runs"
    )
    Path(args.json).write_text(json.dumps(results, indent=1, default=str) + "\n")
    print(f"results: {args.json}")
    return 0


def _overrides(args: argparse.Namespace) -> dict:
    given = {"runs": args.runs, "burst_runs": args.runs, "seconds": args.seconds}
    return {key: value for key, value in given.items() if value is not None}


if __name__ == "__main__":
    sys.exit(main())
