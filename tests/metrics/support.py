"""A fastwsgi master with its metrics server on a unix socket, and a client for it."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.support import ServerProcess, read_response, run_server, wait_for

APP = "tests.apps.metrics_apps:app"


class Metrics:
    def __init__(self, server: ServerProcess, path: Path) -> None:
        self.server = server
        self.path = path

    def get(self, target: str, headers: str = "") -> tuple[int, dict[str, str], bytes]:
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(10)
            s.connect(str(self.path))
            s.sendall(f"GET {target} HTTP/1.1\r\nHost: localhost\r\n{headers}"
                      "Connection: close\r\n\r\n".encode())
            raw = read_response(s)
        head, _, body = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        hdrs = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
        if hdrs.get("transfer-encoding") == "chunked":
            from tests.support import dechunk
            body = dechunk(body)
        return int(lines[0].split()[1]), hdrs, body

    def text(self, accept: str = "") -> str:
        status, _, body = self.get("/metrics", f"Accept: {accept}\r\n" if accept else "")
        assert status == 200, body
        return body.decode()

    def status(self) -> dict[str, Any]:
        code, _, body = self.get("/status.json")
        assert code == 200, body
        return json.loads(body)

    def workers(self) -> list[dict[str, Any]]:
        return self.status()["apps"][0]["workers"]

    def wait_workers(self, n: int, seconds: float = 15.0) -> list[dict[str, Any]]:
        """Wait until n workers are up and idle (READY)."""
        assert wait_for(lambda: len([w for w in self.workers() if w["state"] == "idle"]) == n,
                        seconds), self.workers()
        return self.workers()


def _answers(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX) as s:
        try:
            s.connect(str(path))
        except OSError:
            return False
    return True


@contextmanager
def metrics_server(tmp_path: Path, *args: str, app: str = APP) -> Iterator[Metrics]:
    path = tmp_path / "metrics.sock"
    with run_server(app, "--metrics-bind", f"unix:{path}", *args, tmp_path=tmp_path) as server:
        assert wait_for(lambda: _answers(path), 15), server.log_text()
        yield Metrics(server, path)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    from prometheus_client.parser import text_string_to_metric_families
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def web(**labels: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted({"app": "web", **labels}.items()))
