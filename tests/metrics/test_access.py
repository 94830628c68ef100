"""Who may look: `--metrics-bind PORT` listens on 127.0.0.1 only (the kernel's
table says so), an address other hosts can reach without `--metrics-auth`
is warned about, `--metrics-auth` with a supervisord-style `{SHA}` password
keeps the page and /metrics behind basic auth, and the page loads nothing
from anywhere but this server."""

from __future__ import annotations

import base64
import hashlib
import re
import socket
from pathlib import Path

from tests.support import read_response, run_server, wait_for


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _listening(port: int) -> set[str]:
    """The local addresses listening on `port`, from /proc/net/tcp (LISTEN is 0A)."""
    out = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, _, hexport = local.partition(":")
        if state == "0A" and int(hexport, 16) == port:
            out.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return out


def _get(port: int, target: str, auth: str | None = None) -> tuple[int, bytes]:
    header = f"Authorization: Basic {base64.b64encode(auth.encode()).decode()}\r\n" \
        if auth else ""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: localhost\r\n{header}"
                  "Connection: close\r\n\r\n".encode())
        raw = read_response(s)
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def _answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def test_a_bare_port_is_loopback_only_and_sha_credentials_work(tmp_path: Path) -> None:
    port = _free_port()
    sha = hashlib.sha1(b"pa55").hexdigest()
    with run_server("tests.apps.metrics_apps:app", "--workers", "1", "--metrics-bind", str(port),
                    "--metrics-auth", f"prom:{{SHA}}{sha}", tmp_path=tmp_path) as server:
        wait_for(lambda: _answers(port), 15, "the metrics server")
        assert _listening(port) == {"127.0.0.1"}
        assert f"Metrics and status page at: http://127.0.0.1:{port}/" in server.log_text()
        assert "reachable from other hosts" not in server.log_text()
        for target in ("/", "/metrics", "/status.json"):
            assert _get(port, target)[0] == 401
            assert _get(port, target, "prom:wrong")[0] == 401
            assert _get(port, target, f"prom:{{SHA}}{sha}")[0] == 401  # the hash is no password
            assert _get(port, target, "prom:pa55")[0] == 200
        page = _get(port, "/", "prom:pa55")[1]
        # Everything the page loads is this server's: no scheme, no other host.
        loaded = re.findall(rb'(?:src|href)="([^"]*)"', page)
        assert loaded and all(url.startswith(b"/") and not url.startswith(b"//")
                              for url in loaded), loaded
        assert b"@import" not in page and b"url(http" not in page


def test_an_address_open_to_other_hosts_without_auth_is_warned_about(tmp_path: Path) -> None:
    port = _free_port()
    with run_server("tests.apps.metrics_apps:app", "--workers", "1",
                    "--metrics-bind", f"0.0.0.0:{port}", tmp_path=tmp_path) as server:
        wait_for(lambda: _answers(port), 15, "the metrics server")
        assert _listening(port) == {"0.0.0.0"}
        wait_for(lambda: f"metrics_bind 0.0.0.0:{port} is reachable from other hosts and has "
                 "no metrics_auth" in server.log_text(), 10, "the warning")
        assert _get(port, "/metrics")[0] == 200
