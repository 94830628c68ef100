"""Several workers share one listener: the load spreads over them, measured
as requests answered per worker pid.

A gthread worker whose app threads are all busy takes no new connection; a
native (or greenlet) worker well above the least loaded one's connections
steps aside (the load board, Server._over_share)."""

from __future__ import annotations

import socket
import time
from collections import Counter
from collections.abc import Callable

import pytest

from tests.support import ServerProcess, read_response, read_until_closed

APP = "tests.apps.cooperative:app"


def pids_of(srv: ServerProcess, count: int, target: str) -> Counter[bytes]:
    socks: list[socket.socket] = []
    for _ in range(count):
        s = srv.connect()
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        socks.append(s)
    pids: Counter[bytes] = Counter()
    for s in socks:
        with s:
            raw = read_until_closed(s)
        assert raw.startswith(b"HTTP/1.1 200 OK"), raw[:100]
        pids[raw.rpartition(b"\r\n\r\n")[2]] += 1
    return pids


def all_booted(srv: ServerProcess, workers: int, threads: int) -> None:
    """Wait until every worker answers, so that none joins the listener late:
    rounds of more slow requests than one worker's threads take at once."""
    seen: set[bytes] = set()
    deadline = time.monotonic() + 30
    while len(seen) < workers:
        assert time.monotonic() < deadline, f"only {len(seen)} of {workers} workers answered"
        seen.update(pids_of(srv, workers * threads, "/pid?t=0.05"))


@pytest.mark.parametrize("workers", [2, 4])
def test_gthread_spreads_a_burst_of_slow_requests(serve: Callable[..., ServerProcess],
                                                  workers: int) -> None:
    threads = 4
    srv = serve(APP, "-k", "gthread", "--threads", str(threads), "-w", str(workers))
    all_booted(srv, workers, threads)
    count = workers * threads * 4
    pids = pids_of(srv, count, "/pid?t=0.2")
    assert len(pids) == workers, pids
    # An even share is count / workers; a worker that took the whole burst
    # (64 connections per wake-up before) would leave the others a few.
    assert min(pids.values()) >= count / workers / 2, sorted(pids.values())


@pytest.mark.parametrize("workers", [2, 4])
def test_native_workers_split_a_burst_of_keepalive_connections(
        serve: Callable[..., ServerProcess], workers: int) -> None:
    srv = serve(APP, "-w", str(workers), "--threads", "1")
    all_booted(srv, workers, 4)
    count = 100
    # Connected first, then every request at once: with TCP_DEFER_ACCEPT the
    # connections become acceptable together, the burst that one worker used
    # to take nearly whole (EPOLLEXCLUSIVE splits of 4/102).
    socks = [srv.connect() for _ in range(count)]
    try:
        for s in socks:
            s.sendall(b"GET /pid HTTP/1.1\r\nHost: x\r\n\r\n")
        pids: Counter[bytes] = Counter(read_response(s).rpartition(b"\r\n\r\n")[2]
                                       for s in socks)
    finally:
        for s in socks:
            s.close()
    share = count / workers
    assert len(pids) == workers and min(pids.values()) >= share / 2, sorted(pids.values())
