"""bench/targets.py, run as a user runs it, on summaries written in run.py's format."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bench" / "targets.py"
METRICS = ("rps", "cpu_us_per_req", "cpu_share", "core_busy", "mb_per_s", "lat_p99_ms",
           "rss_peak_kib", "rss_worker_kib", "wrk_cpu_share")


def write_summary(path: Path, figures: dict[tuple[str, str], float | str]) -> Path:
    """A summary CSV as report.write_summary_csv writes it: (server, scenario) -> the
    median CPU µs per request, or a status for a row that did not score."""
    header = ["server", "scenario", "runs", "scored_runs", "status", "socket_errors", "note"]
    header += [f"{m}_{kind}" for m in METRICS for kind in ("median", "min", "max")]
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=header)
        w.writeheader()
        for (server, scenario), value in figures.items():
            row = {"server": server, "scenario": scenario, "runs": 3, "socket_errors": 0}
            if isinstance(value, str):
                row |= {"scored_runs": 0, "status": value}
            else:
                row |= {"scored_runs": 3, "status": "ok", "cpu_us_per_req_median": value}
            w.writerow(row)
    return path


def run(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, paths)], capture_output=True,
                          text=True, timeout=60, check=False)


def test_a_run_that_meets_every_target_exits_0(tmp_path: Path) -> None:
    summary = write_summary(tmp_path / "a.csv", {
        ("fastwsgi", "plaintext"): 8.0, ("fastwsgi-epoll", "plaintext"): 7.0,  # ours: not judged
        ("freastal", "plaintext"): 10.0, ("nginx", "plaintext"): 9.0,
        ("floor-epoll", "plaintext"): 7.5,
        ("fastwsgi", "pipelined"): 1.0, ("fastpysgi", "pipelined"): 6.0,
        ("bjoern", "pipelined"): "wrong response: does not answer pipelined requests",
    })
    result = run(summary)
    assert result.returncode == 0, result.stdout
    # own cost 0.5 against nginx's 1.5 (the lowest peer's own cost, nginx included)
    assert "| plaintext | 8.00 | freastal 10.00 | 0.80 | 9.00 | 0.89 | 7.50 | 0.33 | yes |" \
        in result.stdout
    assert "not scored: bjoern in pipelined (wrong response" in result.stdout
    assert result.stdout.rstrip().endswith("missed: none")


def test_every_miss_in_any_run_is_named_and_exits_1(tmp_path: Path) -> None:
    good = write_summary(tmp_path / "good.csv", {
        ("fastwsgi", "json"): 9.0, ("freastal", "json"): 10.0, ("nginx", "json"): 9.5})
    bad = write_summary(tmp_path / "bad.csv", {
        ("fastwsgi", "json"): 10.0, ("freastal", "json"): 10.0, ("nginx", "json"): 9.5,
        ("fastwsgi", "plaintext"): 9.0, ("bjoern", "plaintext"): 10.0,
        ("floor-epoll", "plaintext"): 8.0,
        ("fastwsgi", "pipelined"): 4.0, ("fastpysgi", "pipelined"): 5.0})
    result = run(good, bad)
    assert result.returncode == 1
    missed = result.stdout.strip().splitlines()[-1]
    assert "run 1" not in missed
    assert "run 2: json: 10.00 >= freastal 10.00" in missed
    assert "run 2: json: 10.00 >= nginx 9.50" in missed
    assert "run 2: pipelined 1.25x fastpysgi" in missed
    # own cost 1.0 against bjoern's 2.0: 0.5x is the target's edge, and is met
    assert "own cost" not in missed
