"""The picture of a tools/bench.py run (matplotlib, the ``bench`` extra).

Left: req/s by concurrency, one line per row (median of the runs; the band is
min..max).  Right: latency percentiles at c=50 per row (p50, p90, p99, max;
medians of the runs, log scale).  The reference, bare eventlet.wsgi, is black.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display here
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

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
    fig, (left, right) = plt.subplots(
        1, 2, figsize=(13, 5.2), gridspec_kw={"width_ratios": [1, 1.25]}
    )
    _rps(left, rows, labels)
    _latency(right, rows, labels)
    meta = results["meta"]
    load = meta["loadavg_start"][0], meta.get("loadavg_end", [float("nan")])[0]
    fig.suptitle(
        f"stackapi {meta['commit']}, {meta['date']}: one core for the server, wrk on the other"
        f" (medians of {meta['profile']['runs']} runs x {meta['profile']['seconds']:g} s;"
        f" load {load[0]:.2f} -> {load[1]:.2f})",
        fontsize=10,
    )
    handles, names = left.get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=3, fontsize=9, frameon=False)
    fig.tight_layout(rect=(0, 0.1, 1, 0.95))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _rps(ax, rows: dict, labels: dict) -> None:
    for name, by_c in rows.items():
        concurrency = sorted(by_c)
        rps = [by_c[c]["rps"] for c in concurrency]
        color = COLORS.get(name)
        width = 2.5 if name == "bare" else 1.6
        ax.plot(concurrency, rps, marker="o", color=color, lw=width, label=labels.get(name, name))
        low = [by_c[c]["rps_min"] for c in concurrency]
        high = [by_c[c]["rps_max"] for c in concurrency]
        ax.fill_between(concurrency, low, high, color=color, alpha=0.12, lw=0)
    ax.set_xscale("log")
    ax.set_xticks(concurrency, [str(c) for c in concurrency])
    ax.set_xlabel("concurrent connections (wrk -c)")
    ax.set_ylabel("requests per second")
    ax.set_ylim(bottom=0)
    ax.set_title("req/s by concurrency (band: min..max of the runs)", fontsize=10)
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
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.yaxis.set_minor_formatter(FuncFormatter(lambda value, _: ""))
    ax.set_ylabel("latency, ms (log scale)")
    ax.set_title(f"latency at c={TARGET_C}, per row", fontsize=10)
    ax.grid(True, axis="y", alpha=0.3, which="both")
