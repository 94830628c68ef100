"""The workers' counters, exact against a known request mix, through a real
master: requests, statuses, bytes on the wire, refusals, keep-alive reuse,
connections, and the latency histogram against controlled app delays."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from tests.metrics.support import metrics_server, samples, web
from tests.support import read_until_closed, wait_for

pytest.importorskip("prometheus_client", reason="prometheus_client (the test extra) is missing")


def _exchange(address: tuple[str, int], raw: bytes) -> bytes:
    with socket.create_connection(address, timeout=10) as s:
        s.sendall(raw)
        return read_until_closed(s)


def _get(path: str, close: bool = False) -> bytes:
    return (f"GET {path} HTTP/1.1\r\nHost: t\r\n" + ("Connection: close\r\n" if close else "")
            + "\r\n").encode()


def test_counters_are_exact_for_a_known_mix(tmp_path: Path) -> None:
    with metrics_server(tmp_path, "--workers", "1") as m:
        m.wait_workers(1)
        addr = m.server.address
        received = 0
        # One keep-alive connection: five requests, the last closes it.
        out = _exchange(addr, _get("/ok") * 4 + _get("/ok", close=True))
        assert out.count(b"HTTP/1.1 200 OK") == 5
        received += len(out)
        for _ in range(2):
            out = _exchange(addr, _get("/missing", close=True))
            assert out.startswith(b"HTTP/1.1 404")
            received += len(out)
        out = _exchange(addr, _get("/boom", close=True))
        assert out.startswith(b"HTTP/1.1 500")
        received += len(out)
        out = _exchange(addr, _get("/stream", close=True))
        assert out.startswith(b"HTTP/1.1 200")
        received += len(out)
        out = _exchange(addr, b"GET / HTTP/1.1\r\nHost: t\r\nBad Header\r\n\r\n")
        assert out.startswith(b"HTTP/1.1 400")
        received += len(out)
        out = _exchange(addr, b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: t\r\n\r\n")
        assert out.startswith(b"HTTP/1.1 414")
        received += len(out)

        s = samples(m.text())
        assert s[("fastwsgi_http_requests_total", web())] == 9
        assert s[("fastwsgi_http_responses_total", web(code="200"))] == 6
        assert s[("fastwsgi_http_responses_total", web(code="404"))] == 2
        assert s[("fastwsgi_http_responses_total", web(code="500"))] == 1
        assert s[("fastwsgi_http_responses_total", web(code="400"))] == 1
        assert s[("fastwsgi_http_responses_total", web(code="414"))] == 1
        assert s[("fastwsgi_http_requests_refused_total", web(status="400"))] == 1
        assert s[("fastwsgi_http_requests_refused_total", web(status="414"))] == 1
        assert s[("fastwsgi_http_requests_refused_total", web(status="431"))] == 0
        assert s[("fastwsgi_http_keepalive_requests_total", web())] == 4
        assert s[("fastwsgi_http_connections_total", web())] == 7
        assert s[("fastwsgi_http_sent_bytes_total", web())] == received
        assert s[("fastwsgi_http_requests_in_flight", web())] == 0
        # The refused requests' connections linger until the client's FIN is read.
        assert wait_for(lambda: samples(m.text())[("fastwsgi_http_connections_open", web())] == 0)
        assert s[("fastwsgi_http_request_duration_seconds_count", web())] == 9
        assert s[("fastwsgi_log_messages_total", web(level="exception"))] == 1  # /boom
        assert s[("fastwsgi_http_app_seconds_total", web())] > 0


def test_latency_buckets_follow_the_apps_delays(tmp_path: Path) -> None:
    # What the worker measures (a request's end to its response's end) lies
    # between the app's delay and what the client saw around the whole
    # exchange.  So for every bucket bound b, whatever the load on the
    # machine: the requests the client saw done within b are in le=b, and
    # those whose delay alone exceeds b are not.  On a quiet machine the two
    # sides meet and every bucket is pinned exactly; a wrong bucket, a wrong
    # unit or a lost count breaks one side on any machine.
    with metrics_server(tmp_path, "--workers", "1") as m:
        m.wait_workers(1)
        addr = m.server.address
        delays: list[float] = []
        seen: list[float] = []
        for ms, times in ((0, 4), (60, 3), (300, 2)):
            for _ in range(times):
                started = time.monotonic()
                out = _exchange(addr, _get(f"/sleep?ms={ms}", close=True))
                seen.append(time.monotonic() - started)
                delays.append(ms / 1000)
                assert out.startswith(b"HTTP/1.1 200")
        s = samples(m.text())

        def le(bound: str) -> float:
            return s[("fastwsgi_http_request_duration_seconds_bucket", web(le=bound))]
        for bound in ("0.05", "0.1", "0.25", "0.5", "1.0"):
            b = float(bound)
            at_least = sum(1 for t in seen if t <= b)
            at_most = sum(1 for d in delays if d <= b)
            assert at_least <= le(bound) <= at_most, (bound, at_least, le(bound), at_most, seen)
        assert le("+Inf") == 9
        assert s[("fastwsgi_http_request_duration_seconds_count", web())] == 9
        total = s[("fastwsgi_http_request_duration_seconds_sum", web())]
        assert sum(delays) <= total <= sum(seen), (total, sum(delays), sum(seen))