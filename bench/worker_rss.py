"""Peak resident memory of one fastwsgi worker serving the hello app.

    .venv/bin/python bench/worker_rss.py [--starts 3] [--requests 20000]

Starts `python -m fastwsgi apps.hello:app --workers 1` (from bench/), sends the
requests over one keep-alive connection, then reads VmHWM, RssAnon and RssFile
of the worker and of the master from /proc/PID/status; prints each start and
the medians.  (RESULTS.md's RSS column sums the whole process tree instead.)
"""

from __future__ import annotations

import argparse
import http.client
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PYTHON = BENCH_DIR.parent / ".venv" / "bin" / "python"
FIELDS = ("VmHWM", "RssAnon", "RssFile")


def status_kib(pid: int) -> dict[str, int]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in FIELDS:
            out[key] = int(value.split()[0])
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def connect_when_ready(port: int, deadline: float) -> http.client.HTTPConnection:
    while True:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            conn.request("GET", "/")
            if conn.getresponse().read() == b"Hello, World!":
                return conn
        except OSError:
            conn.close()
        if time.monotonic() > deadline:
            raise SystemExit("the server did not answer within 20 s")
        time.sleep(0.05)


def one_start(requests: int) -> tuple[dict[str, int], dict[str, int]]:
    """(worker, master) memory after `requests` keep-alive requests."""
    port = free_port()
    master = subprocess.Popen(
        [str(PYTHON), "-m", "fastwsgi", "apps.hello:app", "--bind", f"127.0.0.1:{port}",
         "--workers", "1"],
        cwd=BENCH_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        conn = connect_when_ready(port, time.monotonic() + 20)
        for _ in range(requests):
            conn.request("GET", "/")
            conn.getresponse().read()
        conn.close()
        children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
        return status_kib(int(children[0])), status_kib(master.pid)
    finally:
        master.send_signal(signal.SIGTERM)
        master.wait(10)


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--starts", type=int, default=3)
    ap.add_argument("--requests", type=int, default=20000)
    args = ap.parse_args(argv)
    results = [one_start(args.requests) for _ in range(args.starts)]
    for i, (worker, master) in enumerate(results, 1):
        print(f"start {i}: worker {worker}  master {master}")
    for name, index in (("worker", 0), ("master", 1)):
        medians = {f: statistics.median(r[index][f] for r in results) for f in FIELDS}
        print(f"median {name}: " + ", ".join(
            f"{f} {v / 1024:.1f} MiB ({v:,.0f} kB)" for f, v in medians.items()))


if __name__ == "__main__":
    main(sys.argv[1:])
