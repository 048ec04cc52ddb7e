"""The table tools/bench.py prints, and the issue's targets checked against it.

Every ratio is to server (a), the bare eventlet server, measured in the same run.
"""

from __future__ import annotations

COLUMNS = ("bare", "stack", "gunicorn")
HEADINGS = {
    "bare": "(a) bare eventlet",
    "stack": "(b) stackapi",
    "gunicorn": "(c) gunicorn gthread",
}


def _ratio(value: float | None, base: float | None) -> str:
    if value is None or not base or value != value or base != base:
        return ""
    return f" ({value / base:.2f}x)"


def _row(label: str, cells: dict[str, str]) -> list[str]:
    return [label] + [cells.get(name, "-") for name in COLUMNS]


def throughput_rows(throughput: dict) -> list[list[str]]:
    rows = []
    for connections in sorted(next(iter(throughput.values()))):
        cells_rps, cells_lat, cells_cpu = {}, {}, {}
        for name, by_c in throughput.items():
            m = by_c[connections]
            errors = f" err={m['errors']}" if m["errors"] else ""
            cells_rps[name] = (
                f"{m['rps']:.0f}{_ratio(m['rps_ratio'], 1)} ±{m['rps_spread_pct']:.0f}%{errors}"
            )
            cells_lat[name] = f"{m['p50_ms']:.2f} / {m['p99_ms']:.2f}"
            cells_cpu[name] = (
                f"{m['cpu_us_per_req']:.0f}{_ratio(m['cpu_ratio'], 1)} ±{m['cpu_spread_pct']:.0f}%"
            )
        rows += [
            _row(f"1. req/s, c={connections}", cells_rps),
            _row(f"   p50 / p99 ms, c={connections}", cells_lat),
            _row(f"   server CPU us/req, c={connections}", cells_cpu),
        ]
    return rows


def in_process_rows(in_process: dict) -> list[list[str]]:
    cells = {name: f"{m['us_per_req']:.1f}" for name, m in in_process.items()}
    return [_row("0. in-process us/req (no server)", cells)]


def burst_rows(label: str, bursts: dict) -> list[list[str]]:
    base = bursts.get("bare", {}).get("wall_s")
    cells = {
        name: f"{m['successes']}/{m['runs'][0]['requests']} ok, err={m['errors']},"
        f" {m['wall_s']:.2f}s{_ratio(m['wall_s'], base)}"
        for name, m in bursts.items()
    }
    return [_row(label, cells)]


def rss_rows(rss: dict) -> list[list[str]]:
    base = rss.get("bare", {}).get("peak_kib")
    cells = {
        name: f"{m['peak_kib'] / 1024:.1f}{_ratio(m['peak_kib'], base)}"
        f" (idle {m['idle_kib'] / 1024:.1f})"
        for name, m in rss.items()
    }
    return [_row("5. peak RSS MiB, 1000 in flight", cells)]


def routing_rows(routing: dict, counts: tuple[int, ...]) -> list[list[str]]:
    server = " / ".join(f"{routing[n]['p50_us']:.0f}" for n in counts)
    micro = routing["in_process_us"]
    plain = " / ".join(f"{micro[n]['routes']:.1f}" for n in counts)
    index = " / ".join(f"{micro[n]['route_index']:.1f}" for n in counts)
    names = "/".join(str(n) for n in counts)
    return [
        _row(
            f"4. p50 us, last of {names} routes",
            {"stack": f"{server} (ratio {routing['ratio']:.2f})"},
        ),
        _row(f"   routematch us, {names}: Routes", {"stack": plain}),
        _row(f"   routematch us, {names}: RouteIndex", {"stack": index}),
    ]


def targets(results: dict) -> list[tuple[str, str, bool]]:
    """(target, measured, met) for each target of issue 6 that this run measured."""
    checks = []
    throughput = results.get("throughput")
    if throughput and "bare" in throughput and "stack" in throughput:
        ratio = throughput["stack"][50]["rps_ratio"]
        checks.append(("stack req/s at c=50 >= 0.70x bare", f"{ratio:.2f}x", ratio >= 0.70))
    sleep = results.get("sleep")
    if sleep and "bare" in sleep and "stack" in sleep:
        ratio = sleep["stack"]["wall_s"] / sleep["bare"]["wall_s"]
        errors = sleep["stack"]["errors"]
        checks.append(
            (
                "1000 x 1s: wall <= 1.15x bare, 0 errors",
                f"{ratio:.2f}x, {errors} errors",
                ratio <= 1.15 and errors == 0,
            )
        )
    conns = results.get("connections")
    if conns and "stack" in conns:
        errors = conns["stack"]["errors"]
        checks.append(("10k connections: 0 errors", str(errors), errors == 0))
    routing = results.get("routing")
    if routing:
        checks.append(
            ("routing p50 1000/10 <= 1.2", f"{routing['ratio']:.2f}", routing["ratio"] <= 1.2)
        )
    rss = results.get("rss")
    if rss and "bare" in rss and "stack" in rss:
        ratio = rss["stack"]["peak_kib"] / rss["bare"]["peak_kib"]
        checks.append(("peak RSS, 1000 in flight <= 1.2x bare", f"{ratio:.2f}x", ratio <= 1.2))
    return checks


def format_table(results: dict, counts: tuple[int, ...]) -> str:
    rows = [["test", *(HEADINGS[name] for name in COLUMNS)]]
    if "in_process" in results:
        rows += in_process_rows(results["in_process"])
    if "throughput" in results:
        rows += throughput_rows(results["throughput"])
    if "sleep" in results:
        rows += burst_rows("2. 1000 x sleep(1): ok, wall", results["sleep"])
    if "connections" in results:
        count = results["meta"]["profile"]["connections"]
        rows += burst_rows(f"3. {count} connections: ok, wall", results["connections"])
    if "routing" in results:
        rows += routing_rows(results["routing"], counts)
    if "rss" in results:
        rows += rss_rows(results["rss"])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    checks = targets(results)
    if checks:
        lines += ["", "targets (ratios to (a) of this run):"]
        lines += [f"  [{'x' if ok else ' '}] {goal}: {got}" for goal, got, ok in checks]
    return "\n".join(lines)
