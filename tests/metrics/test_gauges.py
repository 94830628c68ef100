"""Through a real master: the gthread pool's threads and busy threads (per
program and per worker, and a worker busy only once every thread is),
reloads and refused reloads after HUP, and the master's uptime."""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

import pytest

from tests.metrics.support import Metrics, metrics_server, samples, web
from tests.support import read_until_closed, wait_for

pytest.importorskip("prometheus_client", reason="prometheus_client (the test extra) is missing")


def _gauges(m: Metrics) -> dict[str, float]:
    s = samples(m.text())
    (pid,) = {dict(k[1])["pid"] for k in s if k[0] == "fastwsgi_worker_threads_busy"}
    return {"threads": s[("fastwsgi_threads", web())],
            "busy": s[("fastwsgi_threads_busy", web())],
            "worker_busy": s[("fastwsgi_worker_threads_busy",
                              tuple(sorted({"app": "web", "pid": pid, "worker": "1"}.items())))],
            "idle_workers": s[("fastwsgi_workers", web(state="idle"))],
            "busy_workers": s[("fastwsgi_workers", web(state="busy"))],
            "in_flight": s[("fastwsgi_http_requests_in_flight", web())]}


def test_threads_busy_in_gthread_mode(tmp_path: Path) -> None:
    with metrics_server(tmp_path, "--workers", "1", "--threads", "3") as m:
        m.wait_workers(1)
        assert _gauges(m) == {"threads": 3, "busy": 0, "worker_busy": 0, "idle_workers": 1,
                              "busy_workers": 0, "in_flight": 0}
        clients = []
        try:
            for n in (1, 2, 3):
                s = socket.create_connection(m.server.address, timeout=30)
                clients.append(s)
                s.sendall(b"GET /sleep?ms=4000 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                wait_for(lambda: _gauges(m)["busy"] == len(clients), 10, f"{n} threads busy")
                full = n == 3  # a worker is busy when no thread is free for one more request
                assert _gauges(m) == {"threads": 3, "busy": n, "worker_busy": n,
                                      "idle_workers": int(not full), "busy_workers": int(full),
                                      "in_flight": n}
            for s in clients:
                assert read_until_closed(s).startswith(b"HTTP/1.1 200")
        finally:
            for s in clients:
                s.close()
        wait_for(lambda: _gauges(m)["busy"] == 0, 10, "the threads to be free again")
        assert _gauges(m)["idle_workers"] == 1


def test_reloads_and_refused_reloads_are_counted(tmp_path: Path) -> None:
    conf = tmp_path / "conf.py"
    conf.write_text("workers = 1\n")
    with metrics_server(tmp_path, "-c", str(conf)) as m:
        m.wait_workers(1)

        def counts() -> tuple[float, float]:
            s = samples(m.text())
            return s[("fastwsgi_reloads_total", web())], s[("fastwsgi_reload_failures_total", web())]
        assert counts() == (0, 0)
        s = samples(m.text())
        start, uptime = (s[("fastwsgi_master_start_time_seconds", ())],
                         s[("fastwsgi_master_uptime_seconds", ())])
        assert abs(start + uptime - time.time()) < 5 and uptime >= 0

        conf.write_text("workers = 2\n")
        os.kill(m.server.pid, signal.SIGHUP)
        wait_for(lambda: counts() == (1, 0), 20, "the reload to be counted")
        m.wait_workers(2)

        conf.write_text("workers = (\n")  # a syntax error: refused, the workers stay
        os.kill(m.server.pid, signal.SIGHUP)
        wait_for(lambda: counts() == (1, 1), 20, "the refused reload to be counted")
        assert len(m.workers()) == 2
        later = samples(m.text())[("fastwsgi_master_uptime_seconds", ())]
        assert later > uptime
