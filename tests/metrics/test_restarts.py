"""Worker restarts counted by their real reason: max_requests, a kill -9
(crash), a heartbeat timeout and max_worker_memory, through a real master;
the status data says which exit each new worker replaced.  (The OOM
killer's is checked in tests/integration/test_master_liveness.py, which has
the memory cgroup.)"""

from __future__ import annotations

import os
import signal
import socket
from pathlib import Path

import pytest

from tests.metrics.support import Metrics, metrics_server, samples, web
from tests.support import read_until_closed, wait_for

pytest.importorskip("prometheus_client", reason="prometheus_client (the test extra) is missing")


def _restarts(m: Metrics, reason: str) -> float:
    return samples(m.text())[("fastwsgi_worker_restarts_total", web(reason=reason))]


def _get(m: Metrics, path: str) -> bytes:
    with socket.create_connection(m.server.address, timeout=10) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode())
        return read_until_closed(s)


def test_restart_reasons(tmp_path: Path) -> None:
    with metrics_server(tmp_path, "--workers", "1", "--max-requests", "3",
                        "--max-requests-jitter", "0", "--timeout", "2") as m:
        first = m.wait_workers(1)[0]
        for _ in range(3):
            assert _get(m, "/ok").startswith(b"HTTP/1.1 200")
        assert wait_for(lambda: _restarts(m, "max_requests") == 1, 15), m.server.log_text()
        second = m.wait_workers(1)[0]
        assert second["pid"] != first["pid"]
        assert second["replaced"]["pid"] == first["pid"]
        assert second["replaced"]["reason"] == "max_requests"

        os.kill(second["pid"], signal.SIGKILL)
        assert wait_for(lambda: _restarts(m, "crash") == 1, 15), m.server.log_text()
        third = m.wait_workers(1)[0]
        assert third["replaced"]["reason"] == "crash"

        # The app sleeps in the loop's thread: no heartbeat, so after
        # `timeout` the master aborts the worker.
        stuck = socket.create_connection(m.server.address, timeout=20)
        try:
            stuck.sendall(b"GET /sleep?ms=20000 HTTP/1.1\r\nHost: t\r\n\r\n")
            assert wait_for(lambda: _restarts(m, "timeout") == 1, 20), m.server.log_text()
        finally:
            stuck.close()
        fourth = m.wait_workers(1)[0]
        assert fourth["replaced"]["reason"] == "timeout"
        assert fourth["replaced"]["pid"] == third["pid"]
        s = samples(m.text())
        assert s[("fastwsgi_worker_restarts_total", web(reason="oom"))] == 0
        recent = m.status()["apps"][0]["recent_exits"]
        assert [e["reason"] for e in recent[:3]] == ["timeout", "crash", "max_requests"]


def test_max_worker_memory_is_its_own_reason(tmp_path: Path) -> None:
    with metrics_server(tmp_path, "--workers", "1", "--max-worker-memory", "60",
                        app="tests.apps.master_apps:app") as m:
        first = m.wait_workers(1)[0]
        assert _get(m, "/alloc?mb=80").startswith(b"HTTP/1.1 200")
        assert wait_for(lambda: _restarts(m, "memory") == 1, 15), m.server.log_text()
        second = m.wait_workers(1)[0]
        assert (second["replaced"]["pid"], second["replaced"]["reason"]) == (first["pid"], "memory")
        # Each exit under its own reason only.
        os.kill(second["pid"], signal.SIGKILL)
        assert wait_for(lambda: _restarts(m, "crash") == 1, 15), m.server.log_text()
        s = samples(m.text())
        assert {r: s[("fastwsgi_worker_restarts_total", web(reason=r))]
                for r in ("memory", "crash", "max_requests", "timeout")} == \
            {"memory": 1, "crash": 1, "max_requests": 0, "timeout": 0}
