"""Several workers share one listener: the load spreads over them, measured
as requests answered per worker pid.

A gthread worker whose app threads are all busy takes no new connection; a
native (or greenlet) worker well above the least loaded one's connections
steps aside (the load board, Server._over_share)."""

from __future__ import annotations

import os
import select
import signal
import socket
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support import ServerProcess, Strace, read_response, read_until_closed, wait_for
from tests.support.server import io_backend

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


def test_kept_connections_of_saturated_gthread_workers_are_served_in_turn(
        serve: Callable[..., ServerProcess], tmp_path: Path) -> None:
    # Each worker has kept connections when every one of its app threads
    # gets a long request: it stops taking new connections, but the
    # requests its kept connections send next queue for its own threads and
    # are answered as soon as one frees, by the same worker, though they
    # waited longer than the keep-alive timeout (a connection whose request
    # waits for a thread is not idle).
    threads, hold = 2, 2.5
    marks = tmp_path / "marks"
    marks.mkdir()
    srv = serve(APP, "-k", "gthread", "--threads", str(threads), "-w", "2", "--keep-alive", "2")
    all_booted(srv, 2, threads)
    kept: dict[bytes, list[socket.socket]] = {}
    socks: list[socket.socket] = []
    try:
        while len(kept) < 2 or min(len(v) for v in kept.values()) < 2:
            # Rounds of two workers' threads' worth at once: they spread.
            assert len(socks) < 40, {pid: len(v) for pid, v in kept.items()}
            fresh = [srv.connect() for _ in range(2 * threads)]
            socks += fresh
            for s in fresh:
                s.sendall(b"GET /pid?t=0.1 HTTP/1.1\r\nHost: x\r\n\r\n")
            for s in fresh:
                kept.setdefault(read_response(s).rpartition(b"\r\n\r\n")[2], []).append(s)
        # Every thread of both workers busy for `hold` seconds.
        long = []
        for _ in range(2 * threads):
            s = srv.connect()
            socks.append(s)
            s.sendall(f"GET /mark?dir={marks}&t={hold} HTTP/1.1\r\nHost: x\r\n"
                      "Connection: close\r\n\r\n".encode())
            long.append(s)
        assert wait_for(lambda: len(list(marks.iterdir())) == 2 * threads,
                        what="every app thread in a long request")
        start = time.monotonic()
        for group in kept.values():
            for s in group:
                s.sendall(b"GET /pid HTTP/1.1\r\nHost: x\r\n\r\n")
        for pid, group in kept.items():
            for s in group:
                raw = read_response(s)
                assert raw.startswith(b"HTTP/1.1 200 OK"), raw[:100]
                assert raw.rpartition(b"\r\n\r\n")[2] == pid
        took = time.monotonic() - start
        pids = Counter(read_until_closed(s).rpartition(b"\r\n\r\n")[2] for s in long)
    finally:
        for s in socks:
            s.close()
    # Both workers saturated (a long request each thread), and the kept
    # connections answered once the first threads freed, not after a round.
    assert sorted(pids.values()) == [threads, threads], pids
    assert hold * 0.5 < took < hold * 1.8, took


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


def workers_of(srv: ServerProcess) -> list[int]:
    with open(f"/proc/{srv.pid}/task/{srv.pid}/children") as f:
        return [int(pid) for pid in f.read().split()]


def queued_then_released(srv: ServerProcess, count: int, request: bytes,
                         traced: Callable[[list[int]], object] | None = None
                         ) -> tuple[float, list[socket.socket]]:
    """Stop every worker, queue `count` connections, each with its request,
    in the listen backlog, and let the workers go: (the monotonic time they
    went, the sockets, to read the answers from).  `traced(pids)` runs while
    they are stopped."""
    pids = workers_of(srv)
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    socks: list[socket.socket] = []
    try:
        for _ in range(count):
            s = srv.connect()
            s.sendall(request)
            socks.append(s)
        if traced is not None:
            traced(pids)
    finally:
        released = time.monotonic()
        for pid in pids:
            os.kill(pid, signal.SIGCONT)
    return released, socks


@pytest.mark.parametrize("mode", [["-k", "gevent"], ["--threads", "1"]])
def test_a_burst_waiting_in_the_backlog_is_split_and_taken(serve: Callable[..., ServerProcess],
                                                           mode: list[str]) -> None:
    # 300 keep-alive connections queued while both workers were stopped:
    # split between them, and every one in the app well within a second
    # (some 15-30 ms on an idle machine; bench/workers.py times it).
    srv = serve(APP, "-w", "2", *mode)
    all_booted(srv, 2, 4)
    released, socks = queued_then_released(
        srv, 300, b"GET /started?t=0.3 HTTP/1.1\r\nHost: x\r\n\r\n" if "gevent" in mode
        else b"GET /started HTTP/1.1\r\nHost: x\r\n\r\n")
    try:
        answers = [read_response(s).rpartition(b"\r\n\r\n")[2].split() for s in socks]
    finally:
        for s in socks:
            s.close()
    pids = Counter(pid for pid, _ in answers)
    last = max(float(started) for _, started in answers) - released
    assert len(pids) == 2 and min(pids.values()) >= 300 / 2 / 2, sorted(pids.values())
    assert last < 0.5, f"the last of 300 queued connections reached the app after {last:.3f} s"


def test_a_worker_stepping_aside_rings_the_one_it_leaves_the_connections_to(
        serve: Callable[..., ServerProcess], tmp_path: Path) -> None:
    # Connections already in the backlog wake nobody by arriving, and the
    # worker they are left to may be aside itself, looking again only every
    # 10 ms: a worker that steps aside rings it (workers/heartbeat.py
    # BoardBell; Server._balance, Server._rung).  Made certain here: only
    # the first worker runs at first, so it steps aside at 3 connections
    # above the other's 0, and the other, let go then, finds the ring.
    srv = serve(APP, "-w", "2", "--threads", "1")
    all_booted(srv, 2, 4)
    first, second = workers_of(srv)
    traces = {pid: Strace(pid, "epoll_ctl,sendto,recvfrom", tmp_path / f"strace-{pid}.out")
              for pid in (first, second)}
    socks: list[socket.socket] = []
    try:
        for pid in (first, second):
            os.kill(pid, signal.SIGSTOP)
        try:
            for _ in range(100):
                s = srv.connect()
                s.sendall(b"GET /pid HTTP/1.1\r\nHost: x\r\n\r\n")
                socks.append(s)
        finally:
            os.kill(first, signal.SIGCONT)
        answered = wait_for(lambda: _answered(socks, 3), what="the first worker's 3 answers")
        assert len(answered) == 3, len(answered)
        os.kill(second, signal.SIGCONT)
        pids = Counter(read_response(s).rpartition(b"\r\n\r\n")[2] for s in socks)
    finally:
        for pid in (first, second):
            os.kill(pid, signal.SIGCONT)
        for s in socks:
            s.close()
        for t in traces.values():
            t.stop()
    assert len(pids) == 2, pids
    rung = "fastwsgi-board-"
    first_calls = traces[first].calls()  # without strace, skipped saying why
    second_calls = traces[second].calls()
    assert rung in first_calls, first_calls
    if io_backend(srv) == "epoll":
        # Aside first (the listener leaves its epoll set), then the ring; on
        # io_uring stepping aside is an accept not armed again, no syscall.
        assert "EPOLL_CTL_DEL" in first_calls, first_calls
        assert first_calls.index("EPOLL_CTL_DEL") < first_calls.index(rung), first_calls
    assert '"\\1", 64' in second_calls, second_calls  # the bell read (drained)


def _answered(socks: list[socket.socket], least: int) -> list[socket.socket] | None:
    """The sockets with an answer to read, once at least `least` have one."""
    readable = [s for s in socks if select.select([s], [], [], 0)[0]]
    return readable if len(readable) >= least else None


def test_queued_connection_per_request_traffic_costs_no_epoll_wait_per_connection(
        serve: Callable[..., ServerProcess], tmp_path: Path) -> None:
    # Workers sharing the listener take the connections waiting for them in
    # one pass while within their share, not one per epoll_wait (the load
    # board's first version: an epoll_wait per connection of
    # Connection: close traffic with 2 workers, 0.02 with 1).  The epoll
    # path's syscalls are counted: io_uring accepts inside io_uring_enter.
    srv = serve(APP, "-w", "2", "--threads", "1", "--io-backend", "epoll")
    all_booted(srv, 2, 4)
    traces: list[Strace] = []

    def trace(pids: list[int]) -> None:
        for pid in pids:
            traces.append(Strace(pid, "accept4,epoll_wait", tmp_path / f"strace-{pid}.out"))

    _, socks = queued_then_released(
        srv, 60, b"GET /pid HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", trace)
    try:
        for s in socks:
            assert read_until_closed(s).startswith(b"HTTP/1.1 200 OK")
    finally:
        for s in socks:
            s.close()
        for t in traces:
            t.stop()
    calls = "".join(t.calls() for t in traces)  # without strace, skipped saying why
    lines = [line for line in calls.splitlines() if "(" in line and "unfinished" not in line]
    accepted = sum("accept4" in line and "= -1" not in line for line in lines)
    waits = sum("epoll_wait" in line for line in lines)
    assert accepted >= 60, calls
    assert waits <= accepted / 4, f"{waits} epoll_wait for {accepted} connections\n{calls}"
