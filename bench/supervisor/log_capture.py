"""bench: the master's CPU per MB of a chatty child's stdout, fastwsgi beside supervisord.

Each run starts a master (fastwsgi supervise, or supervisord) on the same file: one
program, bench/supervisor/chatty.py, writing MB megabytes of 100-byte lines to stdout,
logged to a file rotated at 50 MB with 10 backups.  The master's CPU time (/proc/PID/task/*/schedstat)
is read once the child has started (before its first byte) and again when the child reports
it is done and the log holds every byte; the difference is the capture's.  Printed: per master, the median over --reps of CPU seconds per MB captured, and of
the child's throughput (MB/s, from its own clock).

Other entries of --masters:
- `fastwsgi-prefix`: fastwsgi with `log_prefix=true` (every line gets `chatty | `: the
  copy path that splits lines; supervisord has no such option);
- `devnull`, `file`: no master at all, the child's stdout is /dev/null, or the log file
  itself: what the child's throughput is without any capture (no CPU figure).

    .venv/bin/python bench/supervisor/log_capture.py --mb 100 --reps 3
    .venv/bin/python bench/supervisor/log_capture.py --mb 100 --reps 3 --writes lines \
        --masters fastwsgi,supervisord,fastwsgi-prefix,devnull,file
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CONF = """[supervisord]
nodaemon=true
logfile={d}/sd.log
pidfile={d}/sd.pid
childlogdir={d}
loglevel=info

[program:chatty]
command={python} {chatty} {mb} {d}/report {mode}
startsecs=0
stdout_logfile={d}/chatty.log
stdout_logfile_maxbytes=50MB
stdout_logfile_backups=10
redirect_stderr=true
log_prefix={prefix}
"""


def cpu_seconds(pid: int) -> float:
    """CPU time of every thread of `pid`, in ns resolution (schedstat, not 10 ms ticks)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        total += int((task / "schedstat").read_text().split()[0])
    return total / 1e9


def logged_bytes(d: Path) -> int:
    return sum(p.stat().st_size for p in d.glob("chatty.log*"))


def run_alone(target: str, mb: int, mode: str) -> tuple[float, float]:
    """The child with no master: stdout to /dev/null, or straight into the log file."""
    d = Path(tempfile.mkdtemp(prefix=f"logbench-{target}-"))
    try:
        path = "/dev/null" if target == "devnull" else str(d / "chatty.log")
        with open(path, "wb") as out:
            subprocess.run([sys.executable, str(ROOT / "bench" / "supervisor" / "chatty.py"),
                            str(mb), str(d / "report"), mode, "--exit"], stdout=out, check=True)
        elapsed, _ = (float(x) for x in (d / "report").read_text().split())
        return float("nan"), mb / elapsed
    finally:
        shutil.rmtree(d, ignore_errors=True)


def run_once(master: str, mb: int, mode: str) -> tuple[float, float]:
    if master in ("devnull", "file"):
        return run_alone(master, mb, mode)
    d = Path(tempfile.mkdtemp(prefix=f"logbench-{master}-"))
    try:
        conf = d / "site.conf"
        conf.write_text(CONF.format(d=d, python=sys.executable, mb=mb,
                                    chatty=ROOT / "bench" / "supervisor" / "chatty.py",
                                    mode=mode, prefix=str(master == "fastwsgi-prefix").lower()))
        if master.startswith("fastwsgi"):
            argv = [sys.executable, "-m", "fastwsgi", "supervise", "-c", str(conf)]
        else:
            argv = [str(Path(sys.executable).parent / "supervisord"), "-c", str(conf)]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        proc = subprocess.Popen(argv, cwd=d, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            report = d / "report"
            deadline = time.monotonic() + 600
            while not (d / "report.started").exists():
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"{master}: the child never started")
                time.sleep(0.01)
            time.sleep(0.2)
            cpu_before = cpu_seconds(proc.pid)  # start-up is not capture
            expected = mb * 1_000_000
            if master == "fastwsgi-prefix":
                expected += mb * 10_000 * len("chatty | ")
            while not (report.exists() and logged_bytes(d) >= expected):
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"{master}: the child's output never all arrived")
                time.sleep(0.05)
            cpu = cpu_seconds(proc.pid) - cpu_before
            elapsed, _ = (float(x) for x in report.read_text().split())
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)
        return cpu / mb, mb / elapsed
    finally:
        shutil.rmtree(d, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=100)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--masters", default="fastwsgi,supervisord")
    parser.add_argument("--writes", choices=("blocks", "lines"), default="blocks",
                        help="the child writes 64 KiB blocks of lines, or each line alone")
    args = parser.parse_args()
    masters = args.masters.split(",")
    results: dict[str, list[tuple[float, float]]] = {m: [] for m in masters}
    for rep in range(args.reps):
        for master in masters[rep % len(masters):] + masters[:rep % len(masters)]:
            results[master].append(run_once(master, args.mb, args.writes))
    print(f"log capture: {args.mb} MB in 100-byte lines written as {args.writes}, "
          f"rotated at 50 MB, median of {args.reps}")
    print(f"{'master':<16} {'CPU ms/MB':>10} {'child MB/s':>11}  runs (CPU ms/MB)")
    for master, runs in results.items():
        cpu = statistics.median(r[0] for r in runs) * 1000
        speed = statistics.median(r[1] for r in runs)
        each = ", ".join(f"{r[0] * 1000:.2f}" for r in runs)
        speeds = ", ".join(f"{r[1]:.1f}" for r in runs)
        print(f"{master:<16} {cpu:>10.2f} {speed:>11.1f}  {each}  (MB/s: {speeds})")
    if "fastwsgi" in results and "supervisord" in results:
        a, b = (statistics.median(r[0] for r in results[m]) for m in ("fastwsgi", "supervisord"))
        print(f"fastwsgi / supervisord CPU per MB: {a / b:.3f}")


if __name__ == "__main__":
    main()
