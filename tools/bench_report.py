"""The report tools/bench.py prints, and issue 13's targets checked against it.

Every ratio is to the reference row ``bare`` (the bare WSGI function on plain
eventlet.wsgi), measured in the same run; ``±`` is the spread of the runs,
(max - min) / median.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

TARGET_C = 50


def load(path: Path) -> dict:
    """A saved run, with the concurrency keys back to ints (JSON made them strings)."""
    results = json.loads(path.read_text())
    for test in ("throughput", "probes"):
        if test in results:
            rows = results[test]["rows"]
            for name, by_c in rows.items():
                rows[name] = {int(c): summary for c, summary in by_c.items()}
    if "routing" in results:
        routing = results["routing"]
        results["routing"] = {(int(k) if k.isdigit() else k): v for k, v in routing.items()}
        micro = results["routing"]["in_process_us"]
        results["routing"]["in_process_us"] = {int(k): v for k, v in micro.items()}
    return results


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return [line.rstrip() for line in lines]


def _x(ratio: float | None) -> str:
    return "" if ratio is None or ratio != ratio else f" ({ratio:.2f}x)"


def throughput_lines(throughput: dict, labels: dict[str, str]) -> list[str]:
    rows_data = throughput["rows"]
    concurrency = sorted(next(iter(rows_data.values())))
    rows = [["req/s (ratio) ±spread", *(f"c={c}" for c in concurrency)]]
    for name, by_c in rows_data.items():
        cells = []
        for c in concurrency:
            m = by_c[c]
            errors = f" err={m['errors']}" if m["errors"] else ""
            cells.append(f"{m['rps']:.0f}{_x(m['rps_ratio'])} ±{m['rps_spread_pct']:.0f}%{errors}")
        rows.append([labels.get(name, name), *cells])
    lines = _table(rows) + [""]
    c = TARGET_C if TARGET_C in concurrency else concurrency[0]
    rows = [
        [f"at c={c}", "p50 ms", "p90 ms", "p99 ms (ratio)", "max ms", "server CPU us/req (ratio)"]
    ]
    for name, by_c in rows_data.items():
        m = by_c[c]
        rows.append(
            [
                labels.get(name, name),
                f"{m['p50_ms']:.2f}",
                f"{m['p90_ms']:.2f}",
                f"{m['p99_ms']:.2f}{_x(m['p99_us_ratio'])} ±{m['p99_spread_pct']:.0f}%",
                f"{m['max_ms']:.1f}",
                f"{m['cpu_us_per_req']:.0f}{_x(m['cpu_us_per_req_ratio'])}"
                f" ±{m['cpu_spread_pct']:.0f}%",
            ]
        )
    loads = " ".join(f"{load:.2f}" for load in throughput.get("loadavg_by_round", []))
    return lines + _table(rows) + ["", f"load average at the start of each round: {loads}"]


def _paired(a: list[dict], b: list[dict], key: str, op) -> float:
    return statistics.median(op(x[key], y[key]) for x, y in zip(a, b, strict=True))


def log_line_cost(rows: dict) -> dict | None:
    """The server's default per-request log line: ``stack_log`` (no logging sections)
    against ``stack`` (quiet), paired run by run, at c=50."""
    if "stack" not in rows or "stack_log" not in rows:
        return None
    quiet, logged = rows["stack"][TARGET_C]["runs"], rows["stack_log"][TARGET_C]["runs"]
    return {
        "rps_ratio": _paired(logged, quiet, "rps", lambda x, y: x / y),
        "cpu_us": _paired(logged, quiet, "cpu_us_per_req", lambda x, y: x - y),
    }


def cost_split(results: dict) -> list[str]:
    """CPU per request at c=50: what the server costs beside what the framework costs."""
    rows = results["throughput"]["rows"]
    in_process = results.get("in_process", {})
    cpu = {name: by_c[TARGET_C]["cpu_us_per_req"] for name, by_c in rows.items()}
    lines = ["server CPU us per request at c=50 (in-process app cost in brackets):"]
    app = {"bare": "bare", "server": "bare", "stack": "stack", "granian": "stack"}
    for name in ("bare", "server", "stack", "granian"):
        if name in cpu:
            inside = in_process.get(app[name], {}).get("us_per_req")
            note = f" [app {inside:.1f}]" if inside is not None else ""
            server = f", server's own ~{cpu[name] - inside:.0f}" if inside is not None else ""
            lines.append(f"  {name:8} {cpu[name]:6.0f}{note}{server}")
    cost = log_line_cost(rows)
    if cost:
        lines.append(
            f"per-request log line (no logging sections vs quiet): req/s {cost['rps_ratio']:.2f}x,"
            f" CPU {cost['cpu_us']:+.0f} us/req"
        )
    return lines


def other_lines(results: dict) -> list[str]:
    lines = []
    if "in_process" in results:
        cells = ", ".join(f"{k} {v['us_per_req']:.1f}" for k, v in results["in_process"].items())
        lines.append(f"0. in-process us/req (no server): {cells}")
    if "sleep" in results:
        base = results["sleep"]["bare"]["wall_s"]
        for name, m in results["sleep"].items():
            lines.append(
                f"2. 1000 x sleep(1), {name}: {m['successes']}/{m['runs'][0]['requests']} ok,"
                f" err={m['errors']}, wall {m['wall_s']:.2f}s{_x(m['wall_s'] / base)}"
                f" ±{m['wall_spread_pct']:.0f}%"
            )
    if "rss" in results:
        base = results["rss"]["bare"]["peak_kib"]
        for name, m in results["rss"].items():
            lines.append(
                f"2. peak RSS, 1000 in flight, {name}: {m['peak_kib'] / 1024:.1f} MiB"
                f"{_x(m['peak_kib'] / base)} (idle {m['idle_kib'] / 1024:.1f})"
            )
    for name, m in results.get("idle", {}).items():
        lines.append(
            f"3. {m['connections']} idle connections, {name}: {m['connect_failed']} connects"
            f" failed, {m['accepted']} accepted, {m['closed_by_server']} closed by the server"
            f" ({m['evicted_by_design']} at the cap); GET at once: {_got(m, 'get')};"
            f" GET later: {_got(m, 'later')}; RSS"
            f" +{(m['rss_after_kib'] - m['rss_before_kib']) / 1024:.1f} MiB,"
            f" {m['rss_per_connection_bytes']:.0f} B per connection"
        )
    if "routing" in results:
        r = results["routing"]
        counts = sorted(k for k in r if isinstance(k, int))
        p50 = " / ".join(f"{r[n]['p50_us']:.0f}" for n in counts)
        micro = " / ".join(
            f"{r['in_process_us'][n]['routes']:.1f}-{r['in_process_us'][n]['route_index']:.1f}"
            for n in counts
        )
        lines.append(f"4. routing p50 us, last of {counts} routes: {p50} (ratio {r['ratio']:.2f})")
        lines.append(f"   routematch us (Routes-RouteIndex): {micro}")
    if "parsers" in results:
        for label, us in results["parsers"]["us"].items():
            lines.append(f"5. {label}: {us:.2f} us")
    counts = results.get("instructions", {})
    base = counts.get("bare", {}).get("per_request")
    for name, m in counts.items():
        if m["per_request"] is not None:
            lines.append(
                f"6. callgrind, {name}: {m['per_request'] / 1000:.0f}k instructions per request"
                f"{_x(m['per_request'] / base) if base else ''}"
                f" ({m['ok']}/{m['requests']} ok)"
            )
    return lines


def _got(m: dict, key: str) -> str:
    """A GET of test 3: its status or why there was none, and its time."""
    status = m[key + "_status"] or f"no answer ({m.get(key + '_error') or 'timeout'})"
    return f"{status} in {m[key + '_ms']:.0f} ms"


def targets(results: dict) -> list[tuple[str, str, bool]]:
    """(target, measured, met) for each of issue 13's targets this run measured."""
    checks = []
    rows = results.get("throughput", {}).get("rows", {})

    def at(name: str, key: str) -> float | None:
        return rows[name][TARGET_C][key] if name in rows else None

    def check(goal: str, value: float | None, ok) -> None:
        if value is not None:
            checks.append((goal, f"{value:.2f}x", ok(value)))

    check("bare function: stackapi-server req/s >= 1.5x", at("server", "rps_ratio"), (1.5).__le__)
    check(
        "bare function: CPU per request <= 0.7x",
        at("server", "cpu_us_per_req_ratio"),
        (0.7).__ge__,
    )
    check("user's ini, quiet: req/s >= 0.9x", at("stack", "rps_ratio"), (0.9).__le__)
    check("user's ini, quiet: p99 <= 2x", at("stack", "p99_us_ratio"), (2.0).__ge__)
    check("user's ini, no logging: p99 <= 2x", at("stack_log", "p99_us_ratio"), (2.0).__ge__)
    sleep = results.get("sleep")
    if sleep:
        for name in ("server", "stack"):
            ratio = sleep[name]["wall_s"] / sleep["bare"]["wall_s"]
            errors = sleep[name]["errors"]
            checks.append(
                (
                    f"1000 x 1 s, {name}: 0 failed, wall <= 1.10x",
                    f"{errors} failed, {ratio:.2f}x",
                    errors == 0 and ratio <= 1.10,
                )
            )
    rss = results.get("rss")
    if rss:
        for name in ("server", "stack"):
            check(
                f"peak RSS, 1000 in flight, {name} <= 1.2x",
                rss[name]["peak_kib"] / rss["bare"]["peak_kib"],
                (1.2).__ge__,
            )
    for name, m in results.get("idle", {}).items():
        if name == "bare":
            continue
        errors = m["errors"]
        checks.append(
            (
                f"{m['connections']} idle, {name}: 0 errors, a request answered (at once)",
                f"{errors} errors, GET {_got(m, 'get')}",
                errors == 0 and m["get_status"] == 200,
            )
        )
    return checks


def format_report(results: dict) -> str:
    labels = results["meta"].get("rows", {})
    lines = []
    if "throughput" in results:
        lines += ["1. throughput, /v1/ping", *throughput_lines(results["throughput"], labels), ""]
        lines += [*cost_split(results), ""]
    if "probes" in results:
        lines += ["5. loop probes", *throughput_lines(results["probes"], labels), ""]
    lines += other_lines(results)
    checks = targets(results)
    if checks:
        lines += ["", "targets (ratios to the reference of this run):"]
        lines += [f"  [{'x' if ok else ' '}] {goal}: {got}" for goal, got, ok in checks]
    meta = results["meta"]
    lines.append(
        f"\nstackapi from {meta['stackapi']} (repo at {meta['commit']}"
        f"{', stackapi/ modified' if meta.get('dirty') else ''}), {meta['date']},"
        f" {meta['cpus']} CPUs, pinned={meta['pinned']}, load average"
        f" {meta['loadavg_start'][0]:.2f} -> {meta.get('loadavg_end', [float('nan')])[0]:.2f}"
    )
    return "\n".join(lines)
