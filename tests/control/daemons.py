"""Run one supervisord.conf under fastwsgi or under the real supervisord, and
drive it with the stock supervisorctl and raw XML-RPC over its unix socket."""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import xmlrpc.client
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.support import ROOT, TIMEOUT, wait_for

VENV_BIN = ROOT / ".venv" / "bin"
USER, PASSWORD = "admin", "s3cret"


def tool(name: str) -> str:
    path = shutil.which(name, path=str(VENV_BIN)) or shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (pip install supervisor: the test extra has it)")
    return path


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float = TIMEOUT) -> None:
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.timeout)
            sock.connect(self.path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


class UnixTransport(xmlrpc.client.Transport):
    def __init__(self, path: str, auth: tuple[str, str] | None) -> None:
        super().__init__()
        self.path = path
        self.auth = auth

    def make_connection(self, host: Any) -> http.client.HTTPConnection:
        # cached where Transport.close() looks for it, so that closing the proxy closes it
        if not self._connection[1]:
            self._connection = host, UnixHTTPConnection(self.path)
        return self._connection[1]

    def send_headers(self, connection: http.client.HTTPConnection,
                     headers: list[tuple[str, str]]) -> None:
        if self.auth is not None:
            import base64
            token = base64.b64encode(f"{self.auth[0]}:{self.auth[1]}".encode()).decode()
            headers = [*headers, ("Authorization", f"Basic {token}")]
        super().send_headers(connection, headers)


class Daemon:
    def __init__(self, impl: str, conf: Path, proc: subprocess.Popen[bytes], log: Path) -> None:
        self.impl = impl
        self.conf = conf
        self.proc = proc
        self.log = log
        self.socket = str(conf.parent / "ctl.sock")

    def call(self, method: str, *params: Any,
             auth: tuple[str, str] | None = (USER, PASSWORD)) -> Any:
        """One XML-RPC call on a connection of its own."""
        with xmlrpc.client.ServerProxy("http://localhost",
                                       transport=UnixTransport(self.socket, auth)) as proxy:
            return getattr(proxy, method)(*params)

    def ctl(self, *args: str, timeout: float = 30) -> tuple[str, int]:
        """``supervisorctl -c CONF ARGS``: (output, exit status)."""
        result = subprocess.run([tool("supervisorctl"), "-c", str(self.conf), *args],
                                capture_output=True, text=True, timeout=timeout, check=False)
        return result.stdout + result.stderr, result.returncode

    def answers(self) -> bool:
        try:
            return bool(self.call("supervisor.getState")["statecode"] == 1)
        except (OSError, xmlrpc.client.Error):
            return False

    def states(self) -> dict[str, str]:
        return {(i["name"] if i["name"] == i["group"] else f"{i['group']}:{i['name']}"):
                i["statename"] for i in self.call("supervisor.getAllProcessInfo")}

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(TIMEOUT * 2)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(TIMEOUT)


def command(impl: str, conf: Path) -> list[str]:
    if impl == "fastwsgi":
        return [sys.executable, "-m", "fastwsgi", "-c", str(conf)]
    return [tool("supervisord"), "-n", "-c", str(conf)]


@contextmanager
def running(impl: str, directory: Path, conf_text: str) -> Iterator[Daemon]:
    """Write ``conf_text`` to DIR/site.conf, run it under ``impl``, wait until
    the control socket answers; stop the daemon by its PID afterwards."""
    directory.mkdir(parents=True, exist_ok=True)
    conf = directory / "site.conf"
    conf.write_text(conf_text)
    log = directory / "daemon.out"
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    with open(log, "wb") as out:
        proc = subprocess.Popen(command(impl, conf), stdout=out, stderr=subprocess.STDOUT,
                                cwd=directory, env=env)
    daemon = Daemon(impl, conf, proc, log)
    try:
        if not wait_for(lambda: daemon.answers() or proc.poll() is not None, TIMEOUT * 2) \
                or proc.poll() is not None:
            raise AssertionError(f"{impl} did not come up:\n{log.read_text()}")
        yield daemon
    finally:
        daemon.stop()
