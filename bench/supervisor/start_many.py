"""bench: how long a master takes to start N programs in priority order, beside supervisord.

N programs (priority 1..N, /bin/sleep, startsecs=0); the time from the master's
"supervisord started with pid" line to the N-th "success: ... entered RUNNING" line of its
own log (both masters write the same lines with millisecond stamps).  Checks the programs
were spawned in priority order.  Median of --reps.

    .venv/bin/python bench/supervisor/start_many.py --programs 50 --reps 3
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STAMP = r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})"


def stamp(text: str) -> float:
    return datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%S,%f").timestamp()


def run_once(master: str, n: int) -> float:
    d = Path(tempfile.mkdtemp(prefix=f"startbench-{master}-"))
    try:
        conf = d / "site.conf"
        body = "".join(f"[program:p{i:03d}]\ncommand=/bin/sleep 1000\npriority={i}\n"
                       "startsecs=0\nstdout_logfile=NONE\nstderr_logfile=NONE\n"
                       for i in range(1, n + 1))
        conf.write_text(f"[supervisord]\nnodaemon=true\nlogfile={d}/sd.log\n"
                        f"pidfile={d}/sd.pid\nchildlogdir={d}\n" + body)
        if master == "fastwsgi":
            argv = [sys.executable, "-m", "fastwsgi", "supervise", "-c", str(conf)]
        else:
            argv = [str(Path(sys.executable).parent / "supervisord"), "-c", str(conf)]
        proc = subprocess.Popen(argv, cwd=d, env={**os.environ, "PYTHONPATH": str(ROOT)},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        log = d / "sd.log"
        try:
            deadline = time.monotonic() + 120
            while not (log.exists() and log.read_text().count("success:") >= n):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{master}: not all {n} programs started")
                time.sleep(0.05)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(120)
        text = log.read_text()
        match = re.search(STAMP + r" INFO supervisord started with pid", text)
        assert match is not None, f"{master}: no start line in its log"
        started = stamp(match[1])
        last = max(stamp(m) for m in re.findall(STAMP + r" INFO success:", text))
        spawned = re.findall(r"spawned: 'p(\d+)'", text)
        assert spawned == sorted(spawned), f"{master}: not in priority order"
        return last - started
    finally:
        shutil.rmtree(d, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--programs", type=int, default=50)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--masters", default="fastwsgi,supervisord")
    args = parser.parse_args()
    masters = args.masters.split(",")
    results: dict[str, list[float]] = {m: [] for m in masters}
    for _ in range(args.reps):
        for master in masters:
            results[master].append(run_once(master, args.programs))
    print(f"start of {args.programs} programs in priority order, median of {args.reps}")
    for master, runs in results.items():
        each = ", ".join(f"{r * 1000:.0f}" for r in runs)
        print(f"{master:<12} {statistics.median(runs) * 1000:>8.0f} ms   runs (ms): {each}")


if __name__ == "__main__":
    main()
