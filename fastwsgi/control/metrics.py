"""/metrics: a Snapshot in Prometheus' text format (0.0.4), or in
OpenMetrics 1.0 when the scraper's Accept asks for it.

Names follow Prometheus' conventions: a `fastwsgi_` namespace, base units
(`_seconds`, `_bytes`), `_total` on counters.  Program-wide series carry an
`app` label (the WSGI program's name: "web" for `fastwsgi app:app`);
`fastwsgi_worker_*` series add `pid` and `worker` (the worker's number, as
gunicorn's `age`), and vanish with their worker, while the program-wide
counters include the counts of exited workers and never go down.

The two formats differ where OpenMetrics is stricter: a counter family's
name has no `_total` (its samples do), and the text ends with `# EOF`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastwsgi.control.snapshot import Snapshot
from fastwsgi.workers import counters as wc

PROMETHEUS_TYPE = "text/plain; version=0.0.4; charset=utf-8"
OPENMETRICS_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8"
WORKER_STATES = ("booting", "idle", "busy", "stopping", "timed_out")
# supervisor's process states (supervisor/states.py), one series each per program.
PROGRAM_STATES = ("STOPPED", "STARTING", "RUNNING", "BACKOFF", "STOPPING", "EXITED", "FATAL",
                  "UNKNOWN")


def wants_openmetrics(accept: str | None) -> bool:
    return bool(accept) and "application/openmetrics-text" in accept.lower()  # type: ignore[union-attr]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    if isinstance(value, int):
        return str(value)
    if value == float("inf"):
        return "+Inf"
    return repr(float(value))


class Family:
    """One metric family: its name (without a counter's `_total`), type, help, samples."""

    def __init__(self, name: str, kind: str, help: str) -> None:
        self.name = name
        self.kind = kind
        self.help = help
        self.samples: list[tuple[str, dict[str, str], float]] = []

    def add(self, labels: dict[str, str], value: float, suffix: str = "") -> Family:
        if self.kind == "counter" and not suffix:
            suffix = "_total"
        self.samples.append((suffix, labels, value))
        return self

    def render(self, openmetrics: bool) -> list[str]:
        typed = self.name if openmetrics or self.kind != "counter" else self.name + "_total"
        lines = [f"# HELP {typed} {self.help.replace(chr(92), chr(92) * 2)}",
                 f"# TYPE {typed} {self.kind}"]
        for suffix, labels, value in self.samples:
            text = ",".join(f'{k}="{_escape(str(v))}"' for k, v in labels.items())
            lines.append(f"{self.name}{suffix}{{{text}}} {_number(value)}" if text
                         else f"{self.name}{suffix} {_number(value)}")
        return lines


def render(snapshot: Snapshot, openmetrics: bool = False) -> str:
    lines: list[str] = []
    for family in families(snapshot):
        lines += family.render(openmetrics)
    if openmetrics:
        lines.append("# EOF")
    return "\n".join(lines) + "\n"


def families(snap: Snapshot) -> list[Family]:
    m = snap.master
    out = [
        Family("fastwsgi_info", "gauge", "The fastwsgi version the master runs.")
        .add({"version": str(m.get("version", ""))}, 1),
        Family("fastwsgi_master_start_time_seconds", "gauge",
               "When the master started, in seconds since the epoch.").add({}, m["started"]),
        Family("fastwsgi_master_uptime_seconds", "gauge",
               "Seconds since the master started.").add({}, m["uptime"]),
    ]
    out += _app_families(snap.apps)
    out += _worker_families(snap.apps)
    if snap.programs is not None:
        out += _program_families(snap.programs)
    return [f for f in out if f.samples]


def _app_families(apps: list[dict[str, Any]]) -> list[Family]:
    F = Family
    workers = F("fastwsgi_workers", "gauge", "Workers by state (busy: no room for one more request).")
    configured = F("fastwsgi_workers_configured", "gauge", "Workers the program should have.")
    restarts = F("fastwsgi_worker_restarts", "counter", "Worker exits, by reason.")
    reloads = F("fastwsgi_reloads", "counter", "Configuration reloads (HUP) that took effect.")
    failed = F("fastwsgi_reload_failures", "counter", "Reloads refused or rolled back.")
    requests = F("fastwsgi_http_requests", "counter", "Requests handed to the app.")
    responses = F("fastwsgi_http_responses", "counter", "Responses sent, by status code.")
    refused = F("fastwsgi_http_requests_refused", "counter",
                "Requests refused before the app saw them, by the status answered.")
    sent = F("fastwsgi_http_sent_bytes", "counter", "Bytes written to client sockets.")
    flight = F("fastwsgi_http_requests_in_flight", "gauge", "Requests being served.")
    reuse = F("fastwsgi_http_keepalive_requests", "counter",
              "Requests that reused a keep-alive connection.")
    conns_open = F("fastwsgi_http_connections_open", "gauge", "Client connections open.")
    conns = F("fastwsgi_http_connections", "counter", "Client connections accepted.")
    app_time = F("fastwsgi_http_app_seconds", "counter", "Time spent in the app's calls.")
    latency = F("fastwsgi_http_request_duration_seconds", "histogram",
                "From a request's end to its response's end.")
    threads = F("fastwsgi_threads", "gauge", "App threads (--threads) across the workers.")
    busy_threads = F("fastwsgi_threads_busy", "gauge", "App threads in an app call.")
    backlog = F("fastwsgi_listen_backlog", "gauge",
                "Connections waiting in a listener's accept queue (the kernel's count).")
    backlog_limit = F("fastwsgi_listen_backlog_limit", "gauge", "A listener's accept queue limit.")
    logs = F("fastwsgi_log_messages", "counter", "Error-log lines, by level (gunicorn.log.*).")
    for app in apps:
        a = {"app": app["name"]}
        t = app["totals"]
        states = {s: 0 for s in WORKER_STATES}
        for w in app["workers"]:
            states[w["state"]] = states.get(w["state"], 0) + 1
        for state, n in states.items():
            workers.add({**a, "state": state}, n)
        configured.add(a, app["workers_configured"])
        for reason in wc.RESTART_REASONS:
            restarts.add({**a, "reason": reason}, app["exits"].get(reason, 0))
        reloads.add(a, app["reloads"])
        failed.add(a, app["failed_reloads"])
        requests.add(a, t["requests"])
        for index, n in enumerate(t["status"]):
            if n:
                responses.add({**a, "code": str(index + 99) if index else "other"}, n)
        for status, n in zip(wc.REFUSED_STATUSES, t["refused"]):
            refused.add({**a, "status": str(status) if status else "other"}, n)
        sent.add(a, t["sent_bytes"])
        flight.add(a, t["in_flight"])
        reuse.add(a, t["keepalive_reuse"])
        conns_open.add(a, t["connections_open"])
        conns.add(a, t["connections"])
        app_time.add(a, t["app_ns"] / 1e9)
        _histogram(latency, a, t["latency"], t["latency_ns"] / 1e9)
        threads.add(a, sum(w["threads"] for w in app["workers"]))
        busy_threads.add(a, t["threads_busy"])
        for listener in app["listeners"]:
            if listener["backlog"] is not None:
                where = {**a, "listener": listener["address"]}
                backlog.add(where, listener["backlog"])
                backlog_limit.add(where, listener["backlog_limit"])
        for level, n in zip(wc.LOG_LEVELS, t["log"]):
            logs.add({**a, "level": level}, n)
    return [workers, configured, restarts, reloads, failed, requests, responses, refused, sent,
            flight, reuse, conns_open, conns, app_time, latency, threads, busy_threads,
            backlog, backlog_limit, logs]


def _histogram(family: Family, labels: dict[str, str], buckets: Iterable[int],
               total: float) -> None:
    cumulative = 0
    counts = list(buckets)
    for bound, n in zip(wc.LATENCY_BOUNDS + (float("inf"),), counts):
        cumulative += n
        family.add({**labels, "le": _number(bound)}, cumulative, "_bucket")
    family.add(labels, cumulative, "_count")
    family.add(labels, total, "_sum")


def _worker_families(apps: list[dict[str, Any]]) -> list[Family]:
    F = Family
    requests = F("fastwsgi_worker_http_requests", "counter", "Requests this worker served.")
    flight = F("fastwsgi_worker_http_requests_in_flight", "gauge", "Requests this worker serves now.")
    sent = F("fastwsgi_worker_http_sent_bytes", "counter", "Bytes this worker sent.")
    conns = F("fastwsgi_worker_http_connections_open", "gauge", "Connections this worker holds.")
    busy = F("fastwsgi_worker_threads_busy", "gauge", "This worker's app threads in an app call.")
    rss = F("fastwsgi_worker_resident_memory_bytes", "gauge", "This worker's resident memory.")
    started = F("fastwsgi_worker_start_time_seconds", "gauge",
                "When this worker started, in seconds since the epoch.")
    for app in apps:
        for w in app["workers"]:
            labels = {"app": app["name"], "pid": str(w["pid"]), "worker": str(w["age"])}
            c = w["counts"]
            requests.add(labels, c["requests"])
            flight.add(labels, c["in_flight"])
            sent.add(labels, c["sent_bytes"])
            conns.add(labels, c["connections_open"])
            busy.add(labels, c["threads_busy"])
            rss.add(labels, w["rss"])
            started.add(labels, round(w["started"], 3))
    return [requests, flight, sent, conns, busy, rss, started]


def _program_families(programs: list[dict[str, Any]]) -> list[Family]:
    # A state is an enum: one series per state, 1 for the current one (the
    # OpenMetrics "stateset" shape), so that `fastwsgi_program_state{state=
    # "FATAL"} == 1` alerts without knowing supervisor's numeric codes.
    F = Family
    state = F("fastwsgi_program_state", "gauge",
              "A supervised process's state (1 for the current one).")
    up = F("fastwsgi_program_up", "gauge", "1 when a supervised process is RUNNING.")
    restarts = F("fastwsgi_program_restarts", "counter",
                 "Times a supervised process was started again, by reason (exit: expected "
                 "exit and autorestart; crash: unexpected exit; backoff: retry after dying "
                 "before startsecs; manual: started by an operator).")
    uptime = F("fastwsgi_program_uptime_seconds", "gauge",
               "Seconds since a supervised process started (0 when it has no process).")
    started = F("fastwsgi_program_start_time_seconds", "gauge",
                "When a supervised process last started, in seconds since the epoch.")
    pid = F("fastwsgi_program_pid", "gauge", "A supervised process's pid (0 when it has none).")
    exit_status = F("fastwsgi_program_exit_status", "gauge",
                    "The exit code of a supervised process's last exit.")
    for p in programs:
        labels = {"program": p.get("process", p["name"]), "group": p.get("group", p["name"])}
        for name in PROGRAM_STATES:
            state.add({**labels, "state": name}, int(p["state"] == name))
        up.add(labels, int(p["state"] == "RUNNING"))
        reasons = p.get("restart_reasons")
        if reasons:
            for reason, n in reasons.items():
                restarts.add({**labels, "reason": reason}, n)
        else:
            restarts.add(labels, p.get("restarts", 0))
        uptime.add(labels, p.get("uptime", 0))
        if p.get("started"):
            started.add(labels, p["started"])
        pid.add(labels, p.get("pid") or 0)
        if p.get("exit_status") is not None:
            exit_status.add(labels, p["exit_status"])
    return [state, up, restarts, uptime, started, pid, exit_status]
