"""reuse_port on live processes: one SO_REUSEPORT socket per worker slot,
owned by the master (arbiter.listener_slots).  The split over two workers,
a SIGKILLed worker replaced on its socket, HUP, TTIN/TTOU and USR2 without a
failed request, a unix socket still shared, and reuse_port off unchanged.

Which worker answered is in the body (``pid=N``, tests.apps.master_apps);
how many sockets listen on the port is read from /proc/net/tcp."""

from __future__ import annotations

import os
import signal
import socket
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from tests.support.http import request
from tests.support.master import (
    Load,
    Run,
    alive,
    children,
    read_one,
    start_fixture,  # noqa: F401 - the `start` fixture
    stop_pid,
    wait_for,
)
from tests.support.server import free_port

Start = Callable[..., Run]
_TCP_LISTEN = "0A"  # the LISTEN state in /proc/net/tcp


def _listening_sockets(port: int) -> int:
    """How many sockets listen on 127.0.0.1:port (a reuseport group counts each)."""
    with open("/proc/net/tcp") as f:
        rows = [line.split() for line in f.readlines()[1:]]
    return sum(1 for row in rows
               if row[1] == f"0100007F:{port:04X}" and row[3] == _TCP_LISTEN)


def _start(start: Start, *args: str, workers: int = 2, flag: bool = True) -> tuple[Run, int]:
    """A master on a TCP port of its own (reuse_port binds the address itself),
    with ``workers`` workers answering (given with --workers unless not ``flag``)."""
    port = free_port()
    run = start(*(("--workers", str(workers)) if flag else ()), *args, bind=f"127.0.0.1:{port}")
    run.address = ("127.0.0.1", port)
    run.wait_log(r"Listening at: http://127\.0\.0\.1:\d+")
    wait_for(lambda: len(run.workers()) == workers, what=f"{workers} workers")
    wait_for(lambda: _answers(run), what="an answer")
    return run, port


def _answers(run: Run) -> bool:
    try:
        return run.get("/", timeout=2)[0] == 200
    except OSError:
        return False


def _split(run: Run, connections: int) -> Counter[int]:
    """Open ``connections`` keep-alive connections at once, one request on each,
    and count the worker pids that answered."""
    socks = [run.connect() for _ in range(connections)]
    pids: Counter[int] = Counter()
    try:
        for s in socks:
            s.sendall(request("/"))
        for s in socks:
            answer = read_one(s)
            assert answer is not None and answer[0] == 200, answer
            pids[int(answer[2].decode().split("=")[1])] += 1
    finally:
        for s in socks:
            s.close()
    return pids


def test_two_workers_split_keep_alive_connections(start: Start) -> None:
    run, port = _start(start, "--reuse-port")
    assert _listening_sockets(port) == 2
    run.wait_log(r"\(reuse_port: 2 sockets, one per worker\)")
    pids = _split(run, 64)
    print(f"reuse_port split of 64 connections: {dict(pids)}")
    assert set(pids) == set(run.workers())
    # By hash, each of 64 connections goes to either socket with p=1/2: fewer
    # than 12 on one of them happens once in ~10^6 runs.
    assert min(pids.values()) >= 12, pids


def test_reuse_port_off_keeps_one_shared_socket(start: Start) -> None:
    run, port = _start(start)
    assert _listening_sockets(port) == 1
    assert "reuse_port" not in run.log_text()
    pids = _split(run, 16)
    assert sum(pids.values()) == 16


def test_killed_worker_is_replaced_on_its_socket(start: Start) -> None:
    run, port = _start(start, "--reuse-port")
    victim = run.worker_pid()
    os.kill(victim, signal.SIGKILL)
    wait_for(lambda: not alive(victim) or victim not in run.workers(), what="the worker gone")
    # While its replacement boots, new connections that hash to its socket
    # wait in that socket's queue (the master holds it): none is refused.
    pids = _split(run, 32)
    wait_for(lambda: len(run.workers()) == 2, what="the replacement")
    assert victim not in pids
    # Both sockets were served: the survivor's, and the victim's by its replacement.
    assert set(pids) == set(run.workers()), f"{dict(pids)} answered; workers {run.workers()}"
    assert _listening_sockets(port) == 2


def test_hup_keeps_the_sockets_and_serves_without_a_failure(start: Start,
                                                              tmp_path: Path) -> None:
    conf = tmp_path / "fw.conf.py"
    conf.write_text("workers = 2\nreuse_port = True\n")
    run, port = _start(start, "-c", str(conf), flag=False)
    old = set(run.workers())
    with Load(run, connections=6) as load:
        load.wait_requests(200)
        conf.write_text("workers = 3\nreuse_port = True\n")
        t0 = time.monotonic()
        run.send(signal.SIGHUP)
        run.wait_log(r"Reload complete: 3 new workers serving")
        for pid in old:
            run.wait_log(rf"Worker \(pid:{pid}\) exited: replaced by a reload")
        load.wait_requests(200)
        new = load.pids_after(t0) - old
    print(f"HUP with reuse_port: {load.report()}")
    assert _listening_sockets(port) == 3
    now = set(run.workers())
    assert len(now) == 3 and not now & old and new <= now
    assert len(_split(run, 48)) == 3  # every new worker has a socket of its own
    _no_failures(load)


def test_ttin_ttou_change_the_slots_without_a_failure(start: Start) -> None:
    run, port = _start(start, "--reuse-port")
    with Load(run, connections=8) as load:
        load.wait_requests(200)
        run.send(signal.SIGTTIN)
        wait_for(lambda: _listening_sockets(port) == 3, what="a third slot socket")
        wait_for(lambda: len(run.workers()) == 3, what="3 workers")
        load.wait_requests(200)
        third = set(run.workers())
        run.send(signal.SIGTTOU)
        run.wait_log(r"steered to the first 2 of 3 slot sockets")
        run.wait_log(r"exited: too many workers \(TTOU\)")
        wait_for(lambda: _listening_sockets(port) == 2, what="the third socket closed")
        load.wait_requests(200)
        run.send(signal.SIGTTOU)
        wait_for(lambda: _listening_sockets(port) == 1, what="one socket left")
        load.wait_requests(200)
    print(f"TTIN/TTOU with reuse_port: {load.report()}")
    assert len(run.workers()) == 1 and set(run.workers()) <= third
    # Fresh connections all reach the one worker left: nothing hashes to a closed socket.
    assert sum(_split(run, 32).values()) == 32
    _no_failures(load)


def test_usr2_hands_every_slot_socket_to_the_new_master(start: Start) -> None:
    run, port = _start(start, "--reuse-port")
    old_workers = set(run.workers())
    with Load(run, connections=6) as load:
        load.wait_requests(200)
        run.send(signal.SIGUSR2)
        new_master = int(run.wait_log(r"Started a new master \(pid:(\d+)\)")[0].group(1))
        start.pids.append(new_master)  # type: ignore[attr-defined]
        run.wait_log(rf"\[{new_master}\] \[INFO\] Listening at: http://127\.0\.0\.1:{port} "
                     r"\(reuse_port: 2 sockets")
        wait_for(lambda: len(children(new_master)) == 2, what="the new master's 2 workers")
        assert _listening_sockets(port) == 2  # the same two sockets, not two more
        new_workers = set(children(new_master))
        t0 = time.monotonic()
        os.kill(run.pid, signal.SIGTERM)
        assert run.wait(10) == 0
        load.wait_requests(300)
        served_after = load.pids_after(t0)
    print(f"USR2 with reuse_port: {load.report()}")
    assert served_after <= new_workers | old_workers and served_after & new_workers
    assert _listening_sockets(port) == 2
    pids = _split(run, 48)
    assert set(pids) == new_workers, pids
    stop_pid(new_master)
    _no_failures(load)


def test_unix_socket_stays_shared(start: Start, tmp_path: Path) -> None:
    path = tmp_path / "s.sock"
    run = start("--workers", "2", "--reuse-port", bind=f"unix:{path}")
    run.wait_log(r"Listening at: unix:.*\(reuse_port does not apply to it: its workers share it\)")
    wait_for(lambda: len(run.workers()) == 2, what="2 workers")
    wait_for(lambda: _answers(run), what="an answer on the unix socket")
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(str(path))
        s.sendall(request("/"))
        answer = read_one(s)
    assert answer is not None and answer[0] == 200


def _no_failures(load: Load) -> None:
    """Zero failed requests; checked last, after the test's other assertions."""
    assert not load.failures, load.failures[:5]


