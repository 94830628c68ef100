"""HUP re-reads the metrics settings: metrics_bind moves the server (the new
address bound before the old one is let go), metrics_auth changes the
credentials in place, and a new address that cannot be bound leaves the
server where it was."""

from __future__ import annotations

import base64
import os
import signal
import socket
from pathlib import Path

from tests.metrics.support import APP, _answers
from tests.support import read_response, run_server, wait_for


def _get(path: Path, target: str, auth: str | None = None) -> int:
    header = f"Authorization: Basic {base64.b64encode(auth.encode()).decode()}\r\n" \
        if auth else ""
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(10)
        s.connect(str(path))
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: localhost\r\n{header}"
                  "Connection: close\r\n\r\n".encode())
        raw = read_response(s)
    return int(raw.split(b" ", 2)[1])


def test_hup_follows_metrics_bind_and_metrics_auth(tmp_path: Path) -> None:
    first, second = tmp_path / "first.sock", tmp_path / "second.sock"
    conf = tmp_path / "conf.py"
    conf.write_text(f'metrics_bind = "unix:{first}"\nworkers = 1\n')
    with run_server(APP, "-c", str(conf), tmp_path=tmp_path) as server:
        wait_for(lambda: _answers(first), 15, "the metrics server")
        assert _get(first, "/metrics") == 200

        # Credentials change in place, on the same socket.
        conf.write_text(f'metrics_bind = "unix:{first}"\nmetrics_auth = "prom:pw"\nworkers = 1\n')
        os.kill(server.pid, signal.SIGHUP)
        wait_for(lambda: _get(first, "/metrics") == 401, 15, "the new credentials")
        assert _get(first, "/metrics", "prom:pw") == 200
        assert _get(first, "/", "prom:wrong") == 401

        # A new address: served there, the old socket gone.
        conf.write_text(f'metrics_bind = "unix:{second}"\nmetrics_auth = "prom:pw"\n'
                        "workers = 1\n")
        os.kill(server.pid, signal.SIGHUP)
        wait_for(lambda: _answers(second), 15, "the metrics server at its new address")
        assert _get(second, "/metrics", "prom:pw") == 200
        wait_for(lambda: not first.exists(), 15, "the old socket to go")

        # An address that cannot be bound: the server stays, and says why.
        conf.write_text(f'metrics_bind = "unix:{tmp_path}/no/such/dir/x.sock"\n'
                        'metrics_auth = "prom:pw"\nworkers = 1\n')
        os.kill(server.pid, signal.SIGHUP)
        wait_for(lambda: "the metrics server stays as it was" in server.log_text(), 15,
                 "the refusal in the log")
        assert _get(second, "/metrics", "prom:pw") == 200
        assert server.proc.poll() is None
