"""A real master sends gunicorn's statsd names to a UDP socket of the test."""

from __future__ import annotations

import re
import socket
import time
from pathlib import Path

from tests.support import read_until_closed, run_server

# gunicorn/instrument/statsd.py and arbiter.py: every name and type it sends.
GUNICORN_NAMES = [
    (re.compile(r"gunicorn\.requests"), "c"),
    (re.compile(r"gunicorn\.request\.duration"), "ms"),
    (re.compile(r"gunicorn\.request\.status\.\d{3}"), "c"),
    (re.compile(r"gunicorn\.workers"), "g"),
    (re.compile(r"gunicorn\.log\.(critical|error|warning|exception)"), "c"),
    (re.compile(r"gunicorn\.backlog"), "h"),
]
LINE = re.compile(r"site\.(?P<name>[a-z0-9.]+):(?P<value>[0-9.]+)\|(?P<type>[a-z]+)"
                  r"(\|@(?P<rate>[0-9.e-]+))?\|#env:test,svc:web")


def _parse(lines: list[str]) -> list[dict[str, str]]:
    out = []
    for line in lines:
        match = LINE.fullmatch(line)
        assert match, f"not a gunicorn-style statsd line: {line!r}"
        name, kind = match["name"], match["type"]
        assert any(p.fullmatch(name) and t == kind for p, t in GUNICORN_NAMES), line
        out.append(match.groupdict())
    return out


def test_master_sends_gunicorns_names(tmp_path: Path) -> None:
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(0.5)
    port = receiver.getsockname()[1]
    args = ("--workers", "2", "--statsd-host", f"127.0.0.1:{port}", "--statsd-prefix", "site",
            "--dogstatsd-tags", "env:test,svc:web", "--enable-backlog-metric")
    try:
        with run_server("tests.apps.metrics_apps:app", *args, tmp_path=tmp_path) as server:
            for path in ("/ok", "/ok", "/ok", "/missing"):
                with server.connect() as s:
                    s.sendall(f"GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
                              .encode())
                    assert read_until_closed(s).startswith(b"HTTP/1.1")
            lines: list[str] = []
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                try:
                    lines += receiver.recv(65536).decode().split("\n")
                except TimeoutError:
                    continue
                got = _parse(lines)
                total = sum(int(g["value"]) for g in got if g["name"] == "gunicorn.requests")
                if total >= 4:
                    break
            got = _parse(lines)
    finally:
        receiver.close()

    def total(name: str) -> int:
        return sum(int(g["value"]) for g in got if g["name"] == name)
    assert total("gunicorn.requests") == 4
    assert total("gunicorn.request.status.200") == 3
    assert total("gunicorn.request.status.404") == 1
    durations = [g for g in got if g["name"] == "gunicorn.request.duration"]
    assert sum(round(1 / float(g["rate"])) if g["rate"] else 1 for g in durations) == 4
    workers = [g for g in got if g["name"] == "gunicorn.workers"]
    assert workers and workers[-1]["value"] == "2"
    assert any(g["name"] == "gunicorn.backlog" for g in got)
