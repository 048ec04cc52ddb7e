"""The same ini on stackapi-server and on native WSGI servers: fast requests, and slow ones.

    .venv/bin/pip install granian gunicorn        # and apt-get install wrk
    .venv/bin/python tools/bench_engines.py --connection postgresql+psycopg://u@host/db

Engines, each with 2 processes: ``stackapi-server --workers 2`` (eventlet, 1000
green threads each), granian (``--interface wsgi --workers 2``, 8 and 64
blocking threads) and gunicorn gthread (2 x 8 threads) on ``stackapi.wsgi_app``.
Loads (wrk, 50 connections): ``GET /`` of the demo (no database) and ``GET
/v2.1/servers/{id}`` (one PostgreSQL round trip); then 1000 connections on a
request that sleeps 1 s (tests/configs/slow.ini), each run on a fresh engine.
Medians of ``--runs``; CPU is the engine's process tree's (from /proc), per
answered request.  Not part of
CI; the figures are in docs/deploying.md ("Native servers").
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import bench_load
import bench_servers
from bench_servers import REPO, Server

SLOW_INI = REPO / "tests" / "configs" / "slow.ini"
TOKEN = bench_load.HEADERS["X-Auth-Token"]


def engines(ini: Path) -> dict[str, tuple[list[str], dict]]:
    """name -> (command, environment) of every engine serving ``ini`` on a free port."""
    venv = Path(sys.executable).parent
    env = {**os.environ, "STACKAPI_CONFIG": str(ini)}
    granian = [str(venv / "granian"), "--interface", "wsgi", "--host", "127.0.0.1"]
    granian += ["--port", "{port}", "--workers", "2"]
    return {
        "stackapi-server --workers 2": (
            [str(venv / "stackapi-server"), "--config", str(ini), "--port", "0"]
            + ["--workers", "2"],
            dict(os.environ),
        ),
        "granian 2 x 8 threads": (
            [*granian, "--blocking-threads", "8", "stackapi.wsgi_app:application"],
            env,
        ),
        "granian 2 x 64 threads": (
            [*granian, "--blocking-threads", "64", "stackapi.wsgi_app:application"],
            env,
        ),
        "gunicorn gthread 2 x 8": (
            [str(venv / "gunicorn"), "-k", "gthread", "--workers", "2", "--threads", "8"]
            + ["-b", "127.0.0.1:{port}", "stackapi.wsgi_app:application"],
            env,
        ),
    }


def start(name: str, command: list[str], env: dict, workdir: Path) -> Server:
    """Start an engine on a free port; return once it answers (its workers loaded the app)."""
    from postgres import free_port  # tests/postgres.py

    args = [arg.replace("{port}", str(free_port())) for arg in command]
    server = Server(name, args, workdir / f"{name.split()[0]}.log", env).start()
    deadline = time.monotonic() + bench_servers.STARTUP_TIMEOUT
    while True:  # granian and gunicorn log "Listening at" before their workers load the app
        try:
            urllib.request.urlopen(server.url + "/", timeout=5).close()
            return server
        except urllib.error.HTTPError:
            return server  # an HTTP answer: the app serves
        except OSError:
            if time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(f"{name} not serving:\n{server.log()}") from None
            time.sleep(0.1)


def measure(server: Server, path: str, connections: int, seconds: float) -> dict:
    cpu = server.cpu_seconds()
    report = bench_load.run_wrk(server.url + path, connections, seconds)
    report["cpu_ms"] = (server.cpu_seconds() - cpu) / max(1, report["requests"]) * 1000
    return report


def create_server(url: str) -> str:
    from stackapi.demo.images import CIRROS

    data = json.dumps({"server": {"name": "bench", "flavorRef": "1", "imageRef": CIRROS}}).encode()
    req = urllib.request.Request(f"{url}/v2.1/servers", data=data, method="POST")
    req.add_header("X-Auth-Token", TOKEN)
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())["server"]["id"]


def row(reports: list[dict]) -> str:
    med = {k: statistics.median(r[k] for r in reports) for k in ("rps", "cpu_ms", "p50_us")}
    errors = sum(r["errors"] for r in reports)
    return (
        f"{med['rps']:8.0f} req/s  {med['cpu_ms']:5.2f} ms CPU/req"
        f"  p50 {med['p50_us'] / 1000:7.1f} ms  errors {errors}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connection", required=True, help="the demo's database URL")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO / "tests"))
    bench_servers.raise_fd_limit(4096)
    workdir = Path(tempfile.mkdtemp(prefix="stackapi-engines-"))
    demo = workdir / "api-paste.ini"
    text = bench_servers.DEMO_INI.read_text()
    shipped = "connection = sqlite:///%(here)s/demo.sqlite3"
    demo.write_text(text.replace(shipped, f"connection = {args.connection}"))
    os.environ["PYTHONPATH"] = str(REPO / "tests" / "apps")  # slow.ini's app
    # A slow run leaves a queue behind it on the thread-bound engines (1000 requests of
    # 1 s for 16 threads: a minute): each slow run gets a fresh engine.
    for ini, loads, runs, fresh in (
        (demo, [("GET /", "/", 50), ("GET /v2.1/servers/{id}", None, 50)], args.runs, 1),
        (SLOW_INI, [("1000 clients, GET /sleep (1 s)", "/sleep?seconds=1", 1000)], 1, args.runs),
    ):
        for name, (command, env) in engines(ini).items():
            reports: dict[str, list[dict]] = {label: [] for label, _, _ in loads}
            for _ in range(fresh):
                server = start(name, command, env, workdir)
                try:
                    for label, path, connections in loads:
                        path = path or f"/v2.1/servers/{create_server(server.url)}"
                        reports[label] += [
                            measure(server, path, connections, args.seconds) for _ in range(runs)
                        ]
                finally:
                    server.stop()
            for label, _, _ in loads:
                print(f"{label:32s} {name:28s} {row(reports[label])}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
