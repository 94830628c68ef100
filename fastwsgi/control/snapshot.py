"""What the master knows about its programs, once a second, as plain data.

A `Snapshot` is read from the master's own state (its workers, their
heartbeat and counter slots, the totals of exited workers, the listeners'
accept queues) and, in supervisor mode, from its programs.  /metrics,
statsd and the status page all render the same snapshot; nothing here runs
in a worker, and nothing reads a worker's memory but its counter slot and
/proc/PID/statm.

`Monitor` keeps the last snapshots: rates (requests per second now) are
differences between two of them, and the status page's sparklines are the
last HISTORY of those rates and mean latencies.

What is never collected: a program's command line or environment, the
master's argv (they may carry secrets).
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from fastwsgi.system.backlog import accept_queue
from fastwsgi.workers import counters as wc
from fastwsgi.workers import heartbeat as hb

HISTORY = 60  # samples kept for the sparklines (one a second)
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes(pid: int) -> int:
    """Resident memory of a process (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * PAGE_SIZE
    except (OSError, IndexError, ValueError):
        return 0


def listener_name(sock: Any) -> str:
    try:
        name = sock.getsockname()
    except OSError:
        return "?"
    if isinstance(name, tuple):
        host = name[0]
        return f"[{host}]:{name[1]}" if ":" in host else f"{host}:{name[1]}"
    return f"unix:{name}" if name else "unix:?"


def worker_state(worker: Any, beat_state: int, counts: wc.Counts) -> str:
    """booting, idle, busy (no room for one more request), stopping, timed_out."""
    if worker.abort_sent is not None:
        return "timed_out"
    if worker.stop_sent is not None:
        return "stopping"
    if beat_state != hb.READY:
        return "booting"
    threads = counts["threads"] or 1
    if threads > 1:
        return "busy" if counts["threads_busy"] >= threads else "idle"
    return "busy" if counts["in_flight"] else "idle"


def collect_app(name: str, master: Any, now: float | None = None) -> dict[str, Any]:
    """One WSGI program: its workers, their counts and the program's totals."""
    now = time.time() if now is None else now
    mono = time.monotonic()
    totals: wc.Totals = master.totals
    summed = dict(totals.retired)  # its gauges are 0: only live workers have any
    summed["log"] = tuple(a + b for a, b in zip(summed["log"], totals.master_log))
    workers = []
    for worker in sorted(master.WORKERS.values(), key=lambda w: w.age):
        counts = master.counters.read(worker.slot)
        _, beat_state, _, _ = master.heartbeats.read(worker.slot)
        state = worker_state(worker, beat_state, counts)
        summed = _plus(summed, counts)
        replaced = getattr(worker, "replaced", None)
        workers.append({
            "pid": worker.pid, "age": worker.age, "generation": worker.generation,
            "state": state, "requests": counts["requests"], "in_flight": counts["in_flight"],
            "threads": counts["threads"] or 1, "threads_busy": counts["threads_busy"],
            "connections": counts["connections_open"], "rss": rss_bytes(worker.pid),
            "started": now - (mono - worker.started), "uptime": mono - worker.started,
            "replaced": _exit_json(replaced) if replaced is not None else None,
            "counts": counts,
        })
    listeners = []
    for sock in master.listeners:
        queue = accept_queue(sock)
        listeners.append({"address": listener_name(sock),
                          "backlog": queue[0] if queue else None,
                          "backlog_limit": queue[1] if queue else None})
    mode = getattr(master.cfg, "worker_mode", ("sync", 1, ""))
    return {
        "name": name, "workers_configured": master.num_workers, "worker_mode": mode[0],
        "workers": workers, "totals": summed, "exits": dict(totals.exits),
        "recent_exits": [_exit_json(e) for e in reversed(totals.recent)],
        "reloads": totals.reloads, "failed_reloads": totals.failed_reloads,
        "listeners": listeners,
    }


def _plus(summed: wc.Counts, counts: wc.Counts) -> wc.Counts:
    out = dict(summed)
    for key, value in counts.items():
        if isinstance(value, tuple):
            out[key] = tuple(a + b for a, b in zip(out[key], value))
        else:
            out[key] = out[key] + value
    return out


def _exit_json(e: wc.Exit) -> dict[str, Any]:
    return {"pid": e.pid, "reason": e.reason, "text": e.text, "when": e.when}


class Snapshot:
    """Everything the exposition, statsd and the status page show, at `when`."""

    def __init__(self, master: dict[str, Any], apps: list[dict[str, Any]],
                 programs: list[dict[str, Any]] | None = None, when: float | None = None) -> None:
        self.master = master
        self.apps = apps
        self.programs = programs  # None outside supervisor mode
        self.when = time.time() if when is None else when
        self.mono = time.monotonic()


AppSource = Callable[[], Iterable[tuple[str, Any]]]
ProgramSource = Callable[[], list[dict[str, Any]]]


class Monitor:
    """Takes snapshots and keeps the recent ones (rates, sparklines).

    `apps` yields (name, master-like object) pairs; `programs`, in
    supervisor mode, gives each program as a dict: name, group, state, pid,
    uptime (s), restarts, description."""

    def __init__(self, master_info: Callable[[], dict[str, Any]], apps: AppSource,
                 programs: ProgramSource | None = None) -> None:
        self.master_info = master_info
        self.apps = apps
        self.programs = programs
        self.last: Snapshot | None = None
        self.previous: Snapshot | None = None
        self.history: dict[str, deque[tuple[float, float, float]]] = {}

    def fresh(self) -> Snapshot:
        """A snapshot taken now, without rates and without entering the history."""
        return Snapshot(self.master_info(), [collect_app(n, m) for n, m in self.apps()],
                        self.programs() if self.programs is not None else None)

    def sample(self) -> Snapshot:
        """A new snapshot; rates are computed against the previous one."""
        snap = self.fresh()
        self.previous, self.last = self.last, snap
        if self.previous is not None:
            self._rates(self.previous, snap)
        return snap

    def current(self) -> Snapshot:
        """A snapshot taken now, with the rates of the last sampled interval
        (a rate over the few milliseconds since the last sample would be noise)."""
        if self.last is None:
            return self.sample()
        snap = self.fresh()
        old_apps = {a["name"]: a for a in self.last.apps}
        for app in snap.apps:
            old = old_apps.get(app["name"], {})
            for key in ("rps", "latency_mean", "history"):
                if key in old:
                    app[key] = old[key]
            rates = {w["pid"]: w.get("rps", 0.0) for w in old.get("workers", ())}
            for w in app["workers"]:
                w["rps"] = rates.get(w["pid"], 0.0)
        return snap

    def _rates(self, before: Snapshot, now: Snapshot) -> None:
        elapsed = max(now.mono - before.mono, 1e-3)
        old_apps = {a["name"]: a for a in before.apps}
        for app in now.apps:
            old = old_apps.get(app["name"])
            if old is None:
                continue
            old_workers = {w["pid"]: w for w in old["workers"]}
            for w in app["workers"]:
                ow = old_workers.get(w["pid"])
                w["rps"] = (w["requests"] - ow["requests"]) / elapsed if ow else 0.0
            t, o = app["totals"], old["totals"]
            done = sum(t["latency"]) - sum(o["latency"])
            rps = (t["requests"] - o["requests"]) / elapsed
            mean = (t["latency_ns"] - o["latency_ns"]) / done / 1e9 if done > 0 else 0.0
            app["rps"], app["latency_mean"] = rps, mean
            hist = self.history.setdefault(app["name"], deque(maxlen=HISTORY))
            hist.append((now.when, rps, mean))
            app["history"] = list(hist)
