#!/usr/bin/env python3
"""Checks issue #16's speed targets in one or more run.py summaries (their `.csv`).

    .venv/bin/python bench/targets.py bench/archive/DATE/run1.csv run2.csv run3.csv

For every run and scenario, on server CPU time per request (medians):
- fastwsgi below every WSGI peer and below nginx that the run measured;
- own cost (the figure minus floor-epoll's) against the lowest peer's own cost (nginx
  included), where
  the run has the floor (the hello scenarios): the target is at most 0.5x;
- pipelined: the fastest WSGI peer's figure over fastwsgi's, the target at least 1.5x.
fastwsgi's own variants in the run (fastwsgi-epoll, ...) are shown by run.py, not judged.
A peer that did not score in a run (not installed, wrong response) is named, not
compared.  Prints one Markdown table per run and a last line with every miss; exits 1
when a target was missed in any run, so that "every run" is what it checks.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peers import PEERS, Peer
from report import Summary, read_summary_csv

FLOOR = "floor-epoll"
OWN_COST_TARGET = 0.5  # fastwsgi's own cost over the lowest peer's, at most
PIPELINED_TARGET = 1.5  # the fastest peer's CPU per request over fastwsgi's, at least
BY_NAME: dict[str, Peer] = {p.name: p for p in PEERS}
# fastwsgi itself under other settings (epoll, no counters, another build): not peers
OUR_BUILDS = {p.name for p in PEERS if p.venv == BY_NAME["fastwsgi"].venv}


@dataclass
class Verdict:
    scenario: str
    ours: float
    best_peer: str  # the lowest WSGI peer
    best: float
    nginx: float | None
    floor: float | None
    missed: list[str]  # what this scenario missed, in words

    @property
    def own_cost_ratio(self) -> float | None:
        """Own cost over the lowest own cost among the peers (nginx included)."""
        lowest = min(self.best, self.nginx) if self.nginx is not None else self.best
        if self.floor is None or lowest - self.floor <= 0:
            return None
        return (self.ours - self.floor) / (lowest - self.floor)


def cpu(summary: Summary) -> float | None:
    return summary.median.get("cpu_us_per_req") if summary.ok_runs else None


def judge(summaries: list[Summary], ours: str) -> tuple[list[Verdict], list[str]]:
    """The verdict per scenario, and the peers that did not score (named once)."""
    unscored: list[str] = []
    verdicts: list[Verdict] = []
    scenarios = dict.fromkeys(s.scenario for s in summaries)
    for scenario in scenarios:
        rows = {s.peer: s for s in summaries if s.scenario == scenario}
        mine = rows.get(ours)
        if mine is None or cpu(mine) is None:
            unscored.append(f"{ours} in {scenario}")
            continue
        figure = cpu(mine)
        assert figure is not None
        others: dict[str, float] = {}
        for name, row in rows.items():
            peer = BY_NAME.get(name)
            if peer is None or name in OUR_BUILDS or peer.floor:
                continue
            value = cpu(row)
            if value is None:
                if not row.status.startswith("n/a"):
                    unscored.append(f"{name} in {scenario} ({row.status[:60]})")
                continue
            others[name] = value
        nginx = others.pop("nginx", None)
        if not others:
            continue
        best_peer = min(others, key=others.__getitem__)
        floor_row = rows.get(FLOOR)
        floor = cpu(floor_row) if floor_row is not None else None
        missed: list[str] = []
        if scenario == "pipelined":
            if others[best_peer] / figure < PIPELINED_TARGET:
                missed.append(f"pipelined {others[best_peer] / figure:.2f}x {best_peer}")
        else:
            if nginx is not None:
                others["nginx"] = nginx
            missed += [f"{scenario}: {figure:.2f} >= {name} {value:.2f}"
                       for name, value in sorted(others.items()) if figure >= value]
        verdict = Verdict(scenario, figure, best_peer, others[best_peer], nginx, floor, missed)
        ratio = verdict.own_cost_ratio
        if ratio is not None and scenario != "pipelined" and ratio > OWN_COST_TARGET:
            lowest = "nginx" if nginx is not None and nginx < others[best_peer] else best_peer
            missed.append(f"{scenario}: own cost {ratio:.2f}x {lowest}'s")
        verdicts.append(verdict)
    return verdicts, unscored


def table(verdicts: list[Verdict]) -> list[str]:
    head = ("| scenario | fastwsgi µs/req | lowest WSGI peer µs/req | ratio | nginx µs/req | ratio"
            " | floor-epoll | own cost ratio | met |")
    lines = [head, "|---|---|---|---|---|---|---|---|---|"]
    for v in verdicts:
        own = v.own_cost_ratio
        nginx = "" if v.nginx is None else f"{v.nginx:.2f} | {v.ours / v.nginx:.2f}"
        lines.append(
            f"| {v.scenario} | {v.ours:.2f} | {v.best_peer} {v.best:.2f} | {v.ours / v.best:.2f}"
            f" | {nginx or ' | '} | {'' if v.floor is None else f'{v.floor:.2f}'}"
            f" | {'' if own is None else f'{own:.2f}'} | {'no' if v.missed else 'yes'} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("summaries", nargs="+", type=Path, help="run.py summary CSVs, one per run")
    ap.add_argument("--ours", default="fastwsgi", help="the server judged (default fastwsgi)")
    args = ap.parse_args(argv)
    misses: list[str] = []
    for n, path in enumerate(args.summaries, 1):
        verdicts, unscored = judge(read_summary_csv(path), args.ours)
        print(f"## run {n}: {path}\n")
        print("\n".join(table(verdicts)))
        if unscored:
            print(f"\nnot scored: {'; '.join(unscored)}")
        print()
        misses += [f"run {n}: {m}" for v in verdicts for m in v.missed]
    print("missed: " + ("; ".join(misses) if misses else "none"))
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
