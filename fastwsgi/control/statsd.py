"""gunicorn's statsd instrumentation, sent by the master in batches.

gunicorn sends one datagram per event from every worker: per request
`gunicorn.request.duration` (a timer, in ms), `gunicorn.requests` and
`gunicorn.request.status.NNN` (counters); per error-log line
`gunicorn.log.<level>`; from the master `gunicorn.workers` (a gauge) and,
with enable_backlog_metric, `gunicorn.backlog` (a histogram).  Here the
workers only count (workers.counters) and the master sends the same names
once per interval, from the difference between two snapshots: a counter
carries the interval's count, several lines share one datagram (statsd and
dogstatsd split a packet on newlines), and nothing is sent per request.

Durations are known per histogram bucket, not per request: each non-empty
bucket is sent as one timer sample standing for its n requests
(`|ms|@<1/n>`, statsd's sample rate), at a value inside the bucket scaled so
that the samples' weighted mean is the interval's exact mean.  Counts and
means are exact; percentiles have the buckets' resolution.

Names and formats are gunicorn's (gunicorn/instrument/statsd.py): the
prefix gets one trailing dot, dogstatsd tags are appended as `|#tags`.  With
several WSGI programs (supervisor mode) each program's names are prefixed
by its name, so that their series stay apart."""

from __future__ import annotations

import logging
import math
import re
import socket
from typing import Any

from fastwsgi.config.settings_metrics import parse_statsd_address as parse_address
from fastwsgi.control.snapshot import Snapshot
from fastwsgi.workers import counters as wc

# Fits one Ethernet frame with IP and UDP headers (statsd's advice for LANs).
MAX_DATAGRAM = 1432

log = logging.getLogger("fastwsgi.error")


def _connect(address: str | tuple[str, int]) -> socket.socket:
    """A connected, non-blocking datagram socket (the name resolved once, here)."""
    if isinstance(address, str):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        target: Any = address
    else:
        family, kind, proto, _, target = socket.getaddrinfo(
            address[0], address[1], type=socket.SOCK_DGRAM)[0]
        sock = socket.socket(family, kind, proto)
    sock.setblocking(False)
    try:
        sock.connect(target)
    except OSError:
        sock.close()
        raise
    return sock


def normalize_prefix(prefix: str) -> str:
    """gunicorn's rule: a non-empty prefix ends with exactly one dot."""
    return re.sub(r"^(.+[^.]+)\.*$", "\\g<1>.", prefix or "")


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.6g}"


def _rate(n: int) -> str:
    return f"{1 / n:.6g}"


def _representative(index: int) -> float:
    """A latency (s) inside bucket `index`: the geometric middle of its bounds."""
    bounds = wc.LATENCY_BOUNDS
    if index >= len(bounds):
        return bounds[-1]
    low = bounds[index - 1] if index else bounds[0] / 2
    return math.sqrt(low * bounds[index])


def app_lines(before: dict[str, Any] | None, now: dict[str, Any], backlog_metric: bool) -> list[str]:
    """One program's lines (names without prefix) for the interval before -> now."""
    t = now["totals"]
    o = before["totals"] if before is not None else wc.zero()
    lines = [f"gunicorn.workers:{len(now['workers'])}|g"]
    requests = t["requests"] - o["requests"]
    if requests > 0:
        lines.append(f"gunicorn.requests:{requests}|c|@1.0")
    for index, (a, b) in enumerate(zip(t["status"], o["status"])):
        if index and a > b:
            lines.append(f"gunicorn.request.status.{index + 99}:{a - b}|c|@1.0")
    lines += _duration_lines(t, o)
    for level, a, b in zip(wc.LOG_LEVELS, t["log"], o["log"]):
        if a > b:
            lines.append(f"gunicorn.log.{level}:{a - b}|c|@1.0")
    if backlog_metric:
        depths = [x["backlog"] for x in now["listeners"] if x["backlog"] is not None]
        if depths:
            lines.append(f"gunicorn.backlog:{sum(depths)}|h")
    return lines


def _duration_lines(t: wc.Counts, o: wc.Counts) -> list[str]:
    counts = [a - b for a, b in zip(t["latency"], o["latency"])]
    done = sum(counts)
    if done <= 0:
        return []
    mean = (t["latency_ns"] - o["latency_ns"]) / 1e9 / done
    values = {i: _representative(i) for i, n in enumerate(counts) if n > 0}
    approx = sum(counts[i] * v for i, v in values.items()) / done
    scale = mean / approx if approx > 0 and mean > 0 else 1.0
    out = []
    for i, v in values.items():
        n = counts[i]
        rate = f"|@{_rate(n)}" if n > 1 else ""
        out.append(f"gunicorn.request.duration:{_ms(v * scale)}|ms{rate}")
    return out


def snapshot_lines(before: Snapshot | None, now: Snapshot, prefix: str = "",
                   backlog_metric: bool = False) -> list[str]:
    """Every line for the interval, prefixed (per program when there are several)."""
    prefix = normalize_prefix(prefix)
    old = {a["name"]: a for a in before.apps} if before is not None else {}
    several = len(now.apps) > 1
    lines = []
    for app in now.apps:
        names = f"{prefix}{app['name']}." if several else prefix
        lines += [names + line for line in app_lines(old.get(app["name"]), app, backlog_metric)]
    return lines


def batch(lines: list[str], tags: str = "", limit: int = MAX_DATAGRAM) -> list[bytes]:
    """Lines (with `|#tags` each) joined by newlines into datagrams under `limit`."""
    suffix = f"|#{tags}" if tags else ""
    packets: list[bytes] = []
    current = b""
    for line in lines:
        raw = (line + suffix).encode("ascii", "replace")
        if current and len(current) + 1 + len(raw) > limit:
            packets.append(current)
            current = b""
        current = current + b"\n" + raw if current else raw
    if current:
        packets.append(current)
    return packets


class StatsdSender:
    """A non-blocking datagram socket to the statsd server; a send that fails
    (no server listening, a full buffer) drops that batch, logged once."""

    def __init__(self, address: str, prefix: str = "", tags: str = "",
                 backlog_metric: bool = False) -> None:
        self.address = address
        self.prefix = prefix
        self.tags = tags
        self.backlog_metric = backlog_metric
        self.target = parse_address(address)
        self.sock: socket.socket | None = None
        self.failing = False
        self.before: Snapshot | None = None

    def flush(self, now: Snapshot) -> int:
        """Send the interval since the last flush; returns datagrams sent."""
        lines = snapshot_lines(self.before, now, self.prefix, self.backlog_metric)
        self.before = now
        sent = 0
        try:
            if self.sock is None:
                self.sock = _connect(self.target)
            for packet in batch(lines, self.tags):
                self.sock.send(packet)
                sent += 1
        except OSError as exc:
            if not self.failing:
                log.warning("statsd: cannot send to %s: %s (dropping metrics until it works)",
                            self.address, exc)
            self.failing = True
            return sent
        self.failing = False
        return sent

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None
