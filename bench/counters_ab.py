"""What the workers' request counters cost, in-process: the engine's
sans-I/O path (parse -> environ -> app -> response into the write buffer,
no sockets, no kernel) with counting on and off, alternated in one run.

With no syscalls in the loop a request costs far less than on a socket, so
the ratio here is an upper bound of the overhead under wrk (bench/run.py
--peers fastwsgi,fastwsgi-nocount, the same A/B on loopback).

    .venv/bin/python bench/counters_ab.py [--rounds 15] [--requests 20000]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from fastwsgi import _core
from fastwsgi.workers import counters as wc

PLAINTEXT = (b"GET /plaintext HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: wrk\r\n"
             b"Accept: text/plain,text/html;q=0.9\r\nConnection: keep-alive\r\n\r\n")
HELLO = b"Hello, World!"
PIPELINE = 16


def hello(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(HELLO)))])
    return [HELLO]


def per_request(counting: bool, requests: int) -> float:
    """CPU seconds per request over `requests` pipelined plaintext requests."""
    slots = wc.CounterSlots(slots=1)
    server = _core.Server(hello, counters=slots.view(0) if counting else None)
    conn = server.connection()
    batch = PLAINTEXT * PIPELINE
    rounds = requests // PIPELINE
    start = time.process_time()
    for _ in range(rounds):
        conn.feed(batch)
        conn.take_output()
    took = time.process_time() - start
    if counting:
        assert slots.read(0)["requests"] == rounds * PIPELINE
    return took / (rounds * PIPELINE)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--requests", type=int, default=20000)
    args = ap.parse_args()
    per_request(True, 2000)  # warm up both paths
    per_request(False, 2000)
    on: list[float] = []
    off: list[float] = []
    for i in range(args.rounds):
        # Alternate which goes first, so that drift on a shared machine is even.
        for counting in ((True, False) if i % 2 == 0 else (False, True)):
            (on if counting else off).append(per_request(counting, args.requests))
    m_on, m_off = statistics.median(on), statistics.median(off)
    print(f"rounds={args.rounds} requests/round={args.requests} (pipelined {PIPELINE})")
    print(f"counting on : median {m_on * 1e9:7.0f} ns/request  (min {min(on) * 1e9:.0f})")
    print(f"counting off: median {m_off * 1e9:7.0f} ns/request  (min {min(off) * 1e9:.0f})")
    print(f"overhead    : {100 * (m_on - m_off) / m_off:+.2f} % (medians), "
          f"{100 * (min(on) - min(off)) / min(off):+.2f} % (minimums)")


if __name__ == "__main__":
    main()
