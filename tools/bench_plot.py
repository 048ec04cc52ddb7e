"""The picture of a tools/bench.py run (matplotlib, the ``bench`` extra).

Left: req/s by concurrency, one line per row (median of the runs; the bars
span min..max).  Middle: latency percentiles at c=50 per row (p50, p90, p99,
max; medians of the runs, log scale).  Right: the server's CPU per request at
c=50.  The reference, bare eventlet.wsgi, is black.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display here
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogLocator  # noqa: E402

TARGET_C = 50
COLORS = {
    "bare": "black",
    "server": "tab:blue",
    "stack": "tab:green",
    "stack_log": "tab:olive",
    "demo": "tab:purple",
    "granian": "tab:orange",
    "granian_defaults": "tab:red",
}
PERCENTILES = ("p50", "p90", "p99", "max")


def draw(results: dict, path: Path) -> None:
    rows = results["throughput"]["rows"]
    labels = results["meta"].get("rows", {})
    fig, (left, middle, right) = plt.subplots(
        1, 3, figsize=(15, 5.4), gridspec_kw={"width_ratios": [1.1, 1.25, 0.75]}
    )
    _rps(left, rows, labels)
    _latency(middle, rows, labels)
    _cpu(right, rows)
    meta = results["meta"]
    loads = results["throughput"].get("loadavg_by_round") or [meta["loadavg_start"][0]]
    fig.suptitle(
        f"stackapi {meta['commit']}, {meta['date']}: one core for the server, wrk on the other"
        f" (medians of {meta['profile']['runs']} runs x {meta['profile']['seconds']:g} s;"
        f" load average {min(loads):.1f}-{max(loads):.1f} over the rounds)",
        fontsize=10,
    )
    handles, names = left.get_legend_handles_labels()
    names = [f"{name} ({row})" for name, row in zip(names, rows, strict=True)]
    fig.legend(handles, names, loc="lower center", ncol=3, fontsize=9, frameon=False)
    fig.tight_layout(rect=(0, 0.1, 1, 0.95))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _rps(ax, rows: dict, labels: dict) -> None:
    for i, (name, by_c) in enumerate(rows.items()):
        concurrency = sorted(by_c)
        shift = 1.07 ** (i - (len(rows) - 1) / 2)  # side by side, on the log axis
        xs = [c * shift for c in concurrency]
        rps = [by_c[c]["rps"] for c in concurrency]
        low = [r - by_c[c]["rps_min"] for r, c in zip(rps, concurrency, strict=True)]
        high = [by_c[c]["rps_max"] - r for r, c in zip(rps, concurrency, strict=True)]
        ax.errorbar(
            xs,
            rps,
            yerr=[low, high],
            marker="o",
            color=COLORS.get(name),
            lw=2.6 if name == "bare" else 1.6,
            elinewidth=0.9,
            capsize=2,
            label=labels.get(name, name),
        )
    ax.set_xscale("log")
    ax.set_xticks(concurrency, [str(c) for c in concurrency])
    ax.set_xlabel("concurrent connections (wrk -c)")
    ax.set_ylabel("requests per second")
    ax.set_ylim(bottom=0)
    ax.set_title("req/s by concurrency (bars: min..max of the runs)", fontsize=10)
    ax.grid(True, alpha=0.3)


def _latency(ax, rows: dict, labels: dict) -> None:
    names = [name for name, by_c in rows.items() if TARGET_C in by_c]
    width = 0.8 / len(names)
    for i, name in enumerate(names):
        m = rows[name][TARGET_C]
        values = [m[p + "_ms"] for p in PERCENTILES]
        xs = [j + (i - (len(names) - 1) / 2) * width for j in range(len(PERCENTILES))]
        ax.bar(xs, values, width, color=COLORS.get(name), label=labels.get(name, name))
    ax.set_xticks(range(len(PERCENTILES)), PERCENTILES)
    ax.set_yscale("log")
    lowest = min(rows[name][TARGET_C]["p50_ms"] for name in names)
    ax.set_ylim(bottom=lowest / 1.6)
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1, 2, 5)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.yaxis.set_minor_formatter(FuncFormatter(lambda value, _: ""))
    ax.set_ylabel("latency, ms (log scale)")
    ax.set_title(f"latency at c={TARGET_C}, per row", fontsize=10)
    ax.grid(True, axis="y", alpha=0.3, which="both")


def _cpu(ax, rows: dict) -> None:
    names = [name for name, by_c in rows.items() if TARGET_C in by_c][::-1]
    values = [rows[name][TARGET_C]["cpu_us_per_req"] for name in names]
    bars = ax.barh(range(len(names)), values, color=[COLORS.get(n) for n in names])
    ax.bar_label(bars, [f"{v:.0f}" for v in values], padding=3, fontsize=8)
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.set_xlabel("server CPU, us per request")
    ax.set_title(f"server CPU per request at c={TARGET_C}", fontsize=10)
    ax.set_xlim(right=max(values) * 1.2)
    ax.grid(True, axis="x", alpha=0.3)
