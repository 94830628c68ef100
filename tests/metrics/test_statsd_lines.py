"""statsd lines from two snapshots, with gunicorn's names and formats, sent
to a real UDP socket and a real unix datagram socket."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from fastwsgi.control import statsd
from fastwsgi.control.snapshot import Monitor
from fastwsgi.workers import counters as wc
from tests.metrics.fakes import FakeMaster, master_info


def _monitor(m: FakeMaster) -> Monitor:
    return Monitor(master_info, lambda: [("web", m)])


def test_address_forms() -> None:
    assert statsd.parse_address("localhost:9125") == ("localhost", 9125)
    assert statsd.parse_address("localhost") == ("localhost", 8125)
    assert statsd.parse_address("[::1]:9") == ("::1", 9)
    assert statsd.parse_address("unix:/run/statsd.sock") == "/run/statsd.sock"
    assert statsd.parse_address("unix:///run/statsd.sock") == "/run/statsd.sock"
    for bad in ("host:port", "unix:", "host:0", ":80"):
        with pytest.raises(ValueError):
            statsd.parse_address(bad)


def test_prefix_gets_one_dot_as_in_gunicorn() -> None:
    assert statsd.normalize_prefix("") == ""
    assert statsd.normalize_prefix("app") == "app."
    assert statsd.normalize_prefix("app...") == "app."


def test_interval_lines_use_gunicorns_names() -> None:
    m = FakeMaster(2)
    mon = _monitor(m)
    first = mon.sample()
    w1 = next(iter(m.WORKERS.values()))
    m.put(w1.slot, "requests", 5)
    m.put(w1.slot, "status", 4, 200 - 99)
    m.put(w1.slot, "status", 1, 503 - 99)
    m.put(w1.slot, "latency", 4, 0)       # four requests <= 100 us
    m.put(w1.slot, "latency", 1, 9)       # one in (50 ms, 100 ms]
    m.put(w1.slot, "latency_ns", 4 * 50_000 + 80_000_000)
    m.put(w1.slot, "log", 2, 1)
    lines = statsd.snapshot_lines(first, mon.sample(), prefix="site")
    assert "site.gunicorn.workers:2|g" in lines
    assert "site.gunicorn.requests:5|c|@1.0" in lines
    assert "site.gunicorn.request.status.200:4|c|@1.0" in lines
    assert "site.gunicorn.request.status.503:1|c|@1.0" in lines
    assert "site.gunicorn.log.error:2|c|@1.0" in lines
    durations = [line for line in lines if ".request.duration:" in line]
    assert len(durations) == 2
    fast, slow = durations
    assert fast.endswith("|ms|@0.25") and slow.endswith("|ms")
    values = [float(d.split(":")[1].split("|")[0]) for d in durations]
    # Weighted by the sample rates, the mean is the interval's exact mean (ms).
    assert (4 * values[0] + values[1]) / 5 == pytest.approx((4 * 0.05 + 80) / 5)
    assert values[0] <= 0.1 < values[1]


def test_an_idle_interval_sends_only_the_workers_gauge() -> None:
    m = FakeMaster(1)
    mon = _monitor(m)
    a = mon.sample()
    assert statsd.snapshot_lines(a, mon.sample()) == ["gunicorn.workers:1|g"]


def test_batches_stay_under_the_datagram_limit_and_carry_tags() -> None:
    lines = [f"gunicorn.request.status.{200 + i}:1|c|@1.0" for i in range(200)]
    packets = statsd.batch(lines, tags="env:prod,app:x")
    assert len(packets) > 1
    assert all(len(p) <= statsd.MAX_DATAGRAM for p in packets)
    got = b"\n".join(packets).decode().split("\n")
    assert got == [line + "|#env:prod,app:x" for line in lines]


def _receive_all(sock: socket.socket) -> list[str]:
    out = []
    sock.settimeout(5)
    out += sock.recv(65536).decode().split("\n")
    sock.setblocking(False)
    while True:
        try:
            out += sock.recv(65536).decode().split("\n")
        except BlockingIOError:
            return out


def test_sender_over_real_udp() -> None:
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    m = FakeMaster(1)
    mon = _monitor(m)
    sender = statsd.StatsdSender(f"127.0.0.1:{receiver.getsockname()[1]}", tags="t:1")
    try:
        sender.flush(mon.sample())
        w = next(iter(m.WORKERS.values()))
        m.put(w.slot, "requests", 3)
        m.put(w.slot, "status", 3, 200 - 99)
        assert sender.flush(mon.sample()) == 1
        got = _receive_all(receiver)
        assert "gunicorn.requests:3|c|@1.0|#t:1" in got
        assert "gunicorn.request.status.200:3|c|@1.0|#t:1" in got
    finally:
        sender.close()
        receiver.close()


def test_sender_over_a_unix_socket_and_a_missing_one(tmp_path: Path) -> None:
    path = tmp_path / "statsd.sock"
    m = FakeMaster(1)
    sender = statsd.StatsdSender(f"unix:{path}")
    assert sender.flush(_monitor(m).sample()) == 0  # nobody there yet: dropped, not raised
    receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    receiver.bind(str(path))
    try:
        assert sender.flush(_monitor(m).sample()) == 1
        assert "gunicorn.workers:1|g" in _receive_all(receiver)
    finally:
        sender.close()
        receiver.close()


def test_retired_counts_keep_the_delta_positive() -> None:
    m = FakeMaster(1)
    mon = _monitor(m)
    w = next(iter(m.WORKERS.values()))
    m.put(w.slot, "requests", 4)
    a = mon.sample()
    # The worker exits: its counts move into the totals, its slot is reused.
    m.totals.worker_exited(m.counters.read(w.slot), wc.Exit(w.pid, "max_requests", ""))
    m.counters.reset(w.slot)
    m.put(w.slot, "requests", 1)
    lines = statsd.snapshot_lines(a, mon.sample())
    assert "gunicorn.requests:1|c|@1.0" in lines
