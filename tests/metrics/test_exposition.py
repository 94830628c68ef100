"""The exposition parses with prometheus_client's parsers (both formats) and
says what the slots hold."""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from fastwsgi.control import metrics
from fastwsgi.control.snapshot import Monitor
from fastwsgi.system.backlog import accept_queue, parse_unix_diag
from fastwsgi.workers import counters as wc
from tests.metrics.fakes import FakeMaster, master_info

parser = pytest.importorskip("prometheus_client.parser", reason="prometheus_client not installed")
om_parser = pytest.importorskip("prometheus_client.openmetrics.parser")


def _snapshot(master: FakeMaster, programs=None):
    return Monitor(master_info, lambda: [("web", master)],
                   (lambda: programs) if programs is not None else None).sample()


def _filled() -> FakeMaster:
    m = FakeMaster(2)
    w1, w2 = list(m.WORKERS.values())
    m.put(w1.slot, "requests", 7)
    m.put(w1.slot, "status", 5, 200 - 99)
    m.put(w1.slot, "status", 2, 404 - 99)
    m.put(w2.slot, "requests", 3)
    m.put(w2.slot, "status", 3, 200 - 99)
    m.put(w2.slot, "in_flight", 1)
    m.put(w1.slot, "latency", 6, 0)
    m.put(w1.slot, "latency", 1, 5)
    m.put(w2.slot, "latency", 3, 2)
    m.put(w1.slot, "latency_ns", 2_000_000)
    m.put(w2.slot, "refused", 1, 0)
    m.put(w2.slot, "status", 1, 400 - 99)
    m.put(w1.slot, "sent_bytes", 1234)
    return m


def _samples(text: str, om: bool = False) -> dict:
    parse = om_parser.text_string_to_metric_families if om else parser.text_string_to_metric_families
    out = {}
    for family in parse(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_prometheus_text_parses_and_sums_workers() -> None:
    m = _filled()
    m.totals.worker_exited({**wc.zero(), "requests": 100}, wc.Exit(1, "max_requests", "x"))
    text = metrics.render(_snapshot(m))
    s = _samples(text)
    assert s[("fastwsgi_http_requests_total", (("app", "web"),))] == 110
    assert s[("fastwsgi_http_responses_total", (("app", "web"), ("code", "200")))] == 8
    assert s[("fastwsgi_http_responses_total", (("app", "web"), ("code", "404")))] == 2
    assert s[("fastwsgi_http_requests_refused_total", (("app", "web"), ("status", "400")))] == 1
    assert s[("fastwsgi_http_requests_in_flight", (("app", "web"),))] == 1
    assert s[("fastwsgi_http_sent_bytes_total", (("app", "web"),))] == 1234
    assert s[("fastwsgi_worker_restarts_total", (("app", "web"), ("reason", "max_requests")))] == 1
    assert s[("fastwsgi_worker_restarts_total", (("app", "web"), ("reason", "timeout")))] == 0
    assert s[("fastwsgi_workers", (("app", "web"), ("state", "busy")))] == 1
    assert s[("fastwsgi_workers", (("app", "web"), ("state", "idle")))] == 1
    bucket = ("fastwsgi_http_request_duration_seconds_bucket",)
    assert s[bucket + ((("app", "web"), ("le", "0.0001")),)] == 6
    assert s[bucket + ((("app", "web"), ("le", "0.0005")),)] == 9
    assert s[bucket + ((("app", "web"), ("le", "0.005")),)] == 10
    assert s[bucket + ((("app", "web"), ("le", "+Inf")),)] == 10
    assert s[("fastwsgi_http_request_duration_seconds_count", (("app", "web"),))] == 10
    assert s[("fastwsgi_http_request_duration_seconds_sum", (("app", "web"),))] == 0.002
    pid = str(next(iter(m.WORKERS)))
    assert s[("fastwsgi_worker_http_requests_total",
              (("app", "web"), ("pid", pid), ("worker", "1")))] == 7


def test_openmetrics_parses_and_ends_with_eof() -> None:
    text = metrics.render(_snapshot(_filled()), openmetrics=True)
    assert text.endswith("# EOF\n")
    assert "# TYPE fastwsgi_http_requests counter" in text
    s = _samples(text, om=True)
    assert s[("fastwsgi_http_requests_total", (("app", "web"),))] == 10


def test_accept_header_picks_the_format() -> None:
    assert metrics.wants_openmetrics("application/openmetrics-text; version=1.0.0,text/plain;q=0.5")
    assert not metrics.wants_openmetrics("text/plain")
    assert not metrics.wants_openmetrics(None)


def test_label_values_are_escaped() -> None:
    text = metrics.render(_snapshot(FakeMaster(1), programs=[
        {"name": 'we"ird\\name\n', "group": "g", "state": "RUNNING", "uptime": 3, "restarts": 2}]))
    s = _samples(text)
    key = ("fastwsgi_program_state", (("group", "g"), ("program", 'we"ird\\name\n'),
                                      ("state", "RUNNING")))
    assert s[key] == 1
    assert s[("fastwsgi_program_restarts_total", (("group", "g"), ("program", 'we"ird\\name\n')))] == 2


def test_backlog_of_a_tcp_listener() -> None:
    m = FakeMaster(1)
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(9)
    m.listeners = [lst]
    clients = [socket.create_connection(lst.getsockname()) for _ in range(2)]
    try:
        s = _samples(metrics.render(_snapshot(m)))
        where = (("app", "web"), ("listener", f"127.0.0.1:{lst.getsockname()[1]}"))
        assert s[("fastwsgi_listen_backlog", where)] == 2
        assert s[("fastwsgi_listen_backlog_limit", where)] == 9
    finally:
        for c in clients:
            c.close()
        lst.close()


def test_backlog_of_a_unix_listener(tmp_path: Path) -> None:
    # The kernel's count through sock_diag netlink (UNIX_DIAG_RQLEN), as `ss -xl` shows it.
    m = FakeMaster(1)
    path = str(tmp_path / "app.sock")
    lst = socket.socket(socket.AF_UNIX)
    lst.bind(path)
    lst.listen(7)
    m.listeners = [lst]
    clients = []
    try:
        for waiting in (0, 3):
            while len(clients) < waiting:
                c = socket.socket(socket.AF_UNIX)
                c.connect(path)
                clients.append(c)
            s = _samples(metrics.render(_snapshot(m)))
            where = (("app", "web"), ("listener", f"unix:{path}"))
            assert s[("fastwsgi_listen_backlog", where)] == waiting
            assert s[("fastwsgi_listen_backlog_limit", where)] == 7
        conn, _ = lst.accept()
        conn.close()
        assert accept_queue(lst) == (2, 7)
        ss = shutil.which("ss")
        if ss is None:
            pytest.skip("ss (iproute2) is not installed: the count is not compared with ss -xl")
        out = subprocess.run([ss, "-xlnH", "src", path], capture_output=True, text=True,
                             check=True).stdout.split()
        assert out[:4] == ["u_str", "LISTEN", "2", "7"], out
    finally:
        for c in clients:
            c.close()
        lst.close()


def test_unix_diag_answers_that_are_not_about_the_listener_are_none() -> None:
    assert parse_unix_diag(b"", 1) is None
    assert parse_unix_diag(b"\0" * 64, 1) is None  # neither SOCK_DIAG_BY_FAMILY nor ours
    sock = socket.socket(socket.AF_UNIX)  # not listening: no accept queue
    try:
        assert accept_queue(sock) is None
    finally:
        sock.close()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        assert accept_queue(udp) is None
    finally:
        udp.close()
