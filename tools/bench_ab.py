"""A/B of a server change: the same ini on stackapi-server from this checkout (A) and
with another directory first on its PYTHONPATH (B), in one run.

    cp -r stackapi /tmp/b/ && $EDITOR /tmp/b/stackapi/server/connection.py
    .venv/bin/python tools/bench_ab.py --variant /tmp/b --ini user_nolog
    .venv/bin/python tools/bench_ab.py --variant /tmp/b --ini bare --callgrind 50x40

B's directory holds a changed copy of ``stackapi/`` or a ``sitecustomize.py``.
Rounds alternate which goes first; each ratio is B's run over A's run of the same
round, then the median (the range in brackets).  ``--callgrind KxM`` counts
instructions per request instead (K kept-alive connections, M requests each).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

import bench
import bench_load
import bench_servers

KEYS = ("rps", "cpu_us_per_req", "p99_us")


def measure(ini: Path, variant: str, args: argparse.Namespace, workdir: Path) -> dict:
    """Paired wrk rounds at ``-c`` on A and B: medians and B/A ratios."""
    servers = {}
    try:
        for name, path in (("A", None), ("B", variant)):
            log = workdir / f"{name}.log"
            servers[name] = bench_servers.start_server(
                "stackapi", ini, log, args.cpus, name, pythonpath=path
            )
        for server in servers.values():  # warm-up
            bench_load.run_wrk(server.url + "/v1/ping", args.c, 1, args.client_cpus)
        runs: dict = {"A": [], "B": []}
        for i in range(args.rounds):
            for name in ("A", "B") if i % 2 == 0 else ("B", "A"):
                server = servers[name]
                report = bench.measure_wrk(
                    server, "/v1/ping", args.c, args.seconds, args.client_cpus
                )
                runs[name].append(report)
    finally:
        for server in servers.values():
            server.stop()
    result = {}
    for key in KEYS:
        pairs = [b[key] / a[key] for a, b in zip(runs["A"], runs["B"], strict=True)]
        result[key] = {
            "A": statistics.median(r[key] for r in runs["A"]),
            "B": statistics.median(r[key] for r in runs["B"]),
            "ratio": statistics.median(pairs),
            "low": min(pairs),
            "high": max(pairs),
        }
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", required=True, help="directory first on B's PYTHONPATH")
    parser.add_argument("--ini", default="user", choices=("bare", "user", "user_nolog", "demo"))
    parser.add_argument("-c", type=int, default=50, help="wrk connections")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--callgrind", metavar="KxM", help="count instructions instead")
    args = parser.parse_args(argv)
    pinned = (os.cpu_count() or 1) >= 2
    args.cpus, args.client_cpus = ("1", "0") if pinned else (None, None)
    if pinned:
        os.sched_setaffinity(0, {0})
    variant = str(Path(args.variant).resolve())
    with tempfile.TemporaryDirectory(prefix="stackapi-ab-") as tmp:
        workdir = Path(tmp)
        inis = bench_servers.write_inis(workdir)
        if args.callgrind:
            k, m = (int(n) for n in args.callgrind.split("x"))
            row = bench.Row(args.ini, "stackapi", args.ini, args.ini)
            for name, path in (("A", None), ("B", variant)):
                counted = bench.test_instructions([row], inis, workdir, args.cpus, (k, m), path)
                per = counted[args.ini]["per_request"]
                print(f"{name}: {per / 1000:.1f}k instructions per request ({k} x {m})")
            return 0
        result = measure(inis[args.ini], variant, args, workdir)
    print(f"{args.ini}.ini at c={args.c}, {args.rounds} rounds of {args.seconds:g} s")
    for key, m in result.items():
        print(
            f"  {key:15} A {m['A']:10.1f}  B {m['B']:10.1f}"
            f"  B/A {m['ratio']:.3f} ({m['low']:.2f}-{m['high']:.2f})"
        )
    print(f"  load average at the end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
