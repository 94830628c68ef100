"""Plot the main table (server CPU time per request, per scenario) from a summary CSV.

    bench/.venv-peers/bin/python bench/plot.py results.csv results.png "title"

Runs in the peers' venv, which has matplotlib. One panel per scenario: bars are
the median CPU µs per request (log scale) with min–max whiskers, labelled with req/s;
fastwsgi's bar is highlighted; nginx (static reference) and the C floors are grey.
"""

from __future__ import annotations

import csv
import math
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.axes import Axes

OURS = "fastwsgi"
REFERENCE = "nginx"
FLOOR_PREFIX = "floor-"  # bench/floor/floor.c: not WSGI servers, grey as nginx


def load(path: str) -> dict[str, list[dict[str, str]]]:
    by_scenario: dict[str, list[dict[str, str]]] = defaultdict(list)
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            by_scenario[row["scenario"]].append(row)
    return by_scenario


def colour(server: str) -> str:
    if server == OURS:
        return "tab:red"
    if server == REFERENCE or server.startswith(FLOOR_PREFIX):
        return "0.6"
    return "tab:blue"


def panel(ax: Axes, scenario: str, rows: list[dict[str, str]]) -> None:
    scored = [r for r in rows if r["cpu_us_per_req_median"]]
    failed = [
        r["server"]
        for r in rows
        if not r["cpu_us_per_req_median"] and not r["status"].startswith("n/a")
    ]
    scored.sort(key=lambda r: float(r["cpu_us_per_req_median"]), reverse=True)
    names = [r["server"] for r in scored]
    med = [float(r["cpu_us_per_req_median"]) for r in scored]
    low = [m - float(r["cpu_us_per_req_min"]) for m, r in zip(med, scored)]
    high = [float(r["cpu_us_per_req_max"]) - m for m, r in zip(med, scored)]
    ax.barh(names, med, xerr=[low, high], color=[colour(n) for n in names], capsize=2)
    for i, r in enumerate(scored):
        label = f" {med[i]:,.0f}" if med[i] >= 100 else f" {med[i]:.3g}"
        label += f" µs · {float(r['rps_median']):,.0f} req/s"
        ax.text(float(r["cpu_us_per_req_max"]) * 1.05, i, label, va="center", fontsize=7)
    ax.set_title(scenario + (f"  (no score: {', '.join(failed)})" if failed else ""), fontsize=9)
    ax.set_xlabel("server CPU µs per request, log scale (median, min–max)", fontsize=8)
    ax.tick_params(labelsize=8)
    if med:
        ax.set_xscale("log")
        ax.set_xlim(min(med) * 0.5, max(float(r["cpu_us_per_req_max"]) for r in scored) * 12)


def main(csv_path: str, png_path: str, title: str) -> None:
    data = load(csv_path)
    scenarios = list(data)
    cols = 2 if len(scenarios) > 1 else 1
    rows = math.ceil(len(scenarios) / cols)
    fig, axes = plt.subplots(
        rows,
        cols,
        figsize=(7 * cols, 0.32 * max(len(v) for v in data.values()) * rows + 1.2 * rows),
        squeeze=False,
    )
    for ax, scenario in zip(axes.flat, scenarios):
        panel(ax, scenario, data[scenario])
    for ax in list(axes.flat)[len(scenarios) :]:
        ax.axis("off")
    fig.suptitle(title + " — server CPU per request, lower is better")
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.5 / fig.get_figheight()))
    fig.savefig(png_path, dpi=90)


if __name__ == "__main__":
    main(*sys.argv[1:4])
