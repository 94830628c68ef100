"""One supervisor-mode master for the tests: ``fastwsgi -c site.conf`` (or the
real supervisord on the same file), driven by the stock supervisorctl and by
raw XML-RPC over its unix control socket.

``Site`` writes the sections such a test begins with ([unix_http_server],
an [inet_http_server] on 127.0.0.1 if asked, [supervisord],
[rpcinterface:supervisor] and [supervisorctl]) in front of the test's own
[program:x] sections.  ``running()`` writes DIR/site.conf, starts the daemon
in DIR, waits until its control socket answers ``supervisor.getState`` (a
daemon that exits first fails the test with its output), and on the way out
stops it by its PID: SIGTERM, a bounded wait, then SIGKILL.  The
``supervisor_master`` fixture (tests/conftest.py) does the same for one test.

The unix socket is DIR/ctl.sock, so each test's is its own.  An inet port
cannot be 0 (supervisor's port_number refuses it): a free one is taken
just before the start, and a start that loses it to another process (the
daemon's one line: "Another program is already listening") is made again
on another port.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import os
import shutil
import signal
import subprocess
import sys
import xmlrpc.client
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest

from fastwsgi.control.ctl_client import UnixHTTPConnection
from tests.support.server import ROOT, TIMEOUT, free_port
from tests.support.waiting import wait_for

VENV_BIN = ROOT / ".venv" / "bin"
USER, PASSWORD = "admin", "s3cret"
IN_USE = "Another program is already listening"
PORT_TRIES = 3


def tool(name: str) -> str:
    """The path of supervisor's ``supervisorctl``/``supervisord``; skips the
    test, saying why, when supervisor is not installed."""
    path = shutil.which(name, path=str(VENV_BIN)) or shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (pip install supervisor: the test extra has it)")
    return path


@dataclass(frozen=True)
class Site:
    """The sections in front of a test's programs."""

    auth: bool = True  # USER/PASSWORD on every control server and in [supervisorctl]
    sha: bool = False  # the servers keep the password as {SHA}; supervisorctl sends it plain
    chmod: str | None = None  # [unix_http_server] chmod (supervisor's default: 0700)
    inet: bool = False  # an [inet_http_server] on 127.0.0.1, on a port chosen per start
    supervisord: str = ""  # more [supervisord] lines ("identifier=site\n", "loglevel=debug\n")

    def text(self, programs: str = "", inet_port: int | None = None) -> str:
        if self.inet and inet_port is None:
            raise ValueError("a Site with inet=True needs the port")
        stored = "{SHA}" + hashlib.sha1(PASSWORD.encode()).hexdigest() if self.sha else PASSWORD
        server_auth = f"username={USER}\npassword={stored}\n" if self.auth else ""
        ctl_auth = f"username={USER}\npassword={PASSWORD}\n" if self.auth else ""
        chmod = f"chmod={self.chmod}\n" if self.chmod else ""
        inet = (f"\n[inet_http_server]\nport=127.0.0.1:{inet_port}\n{server_auth}"
                if self.inet else "")
        return (f"[unix_http_server]\nfile=%(here)s/ctl.sock\n{chmod}{server_auth}{inet}\n"
                "[supervisord]\nlogfile=%(here)s/supervisord.log\n"
                "pidfile=%(here)s/supervisord.pid\nchildlogdir=%(here)s\nnodaemon=true\n"
                f"{self.supervisord}\n"
                "[rpcinterface:supervisor]\n"
                "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n"
                f"\n[supervisorctl]\nserverurl=unix://%(here)s/ctl.sock\n{ctl_auth}"
                f"\n{programs}")


class UnixTransport(xmlrpc.client.Transport):
    """XML-RPC over the unix control socket, a connection per proxy, basic auth
    on every request if given."""

    def __init__(self, path: str, auth: tuple[str, str] | None) -> None:
        super().__init__()
        self.path = path
        self.auth = auth

    def make_connection(self, host: Any) -> http.client.HTTPConnection:
        # cached where Transport.close() looks for it, so that closing the proxy closes it
        if not self._connection[1]:
            self._connection = host, UnixHTTPConnection(self.path, TIMEOUT)
        return self._connection[1]

    def send_headers(self, connection: http.client.HTTPConnection,
                     headers: list[tuple[str, str]]) -> None:
        if self.auth is not None:
            token = base64.b64encode(f"{self.auth[0]}:{self.auth[1]}".encode()).decode()
            headers = [*headers, ("Authorization", f"Basic {token}")]
        super().send_headers(connection, headers)


def command(impl: str, conf: Path) -> list[str]:
    if impl == "fastwsgi":
        return [sys.executable, "-m", "fastwsgi", "-c", str(conf)]
    if impl == "supervisord":
        return [tool("supervisord"), "-n", "-c", str(conf)]
    raise ValueError(f"no such daemon: {impl!r}")


class Daemon:
    """One daemon on DIR/site.conf, started by ``start()``."""

    def __init__(self, impl: str, directory: Path, programs: str, site: Site) -> None:
        self.impl = impl
        self.site = site
        self.programs = programs
        self.conf = directory / "site.conf"
        self.log = directory / "daemon.out"  # its stdout and stderr
        self.socket = str(directory / "ctl.sock")
        self.inet_port: int | None = None
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None, "not started"
        return self.proc.pid

    def write_conf(self, programs: str | None = None) -> None:
        """(Re)write site.conf: the same head (and inet port), these programs."""
        if programs is not None:
            self.programs = programs
        self.conf.write_text(self.site.text(self.programs, self.inet_port))

    def start(self) -> None:
        """Start it and wait until the control socket answers."""
        for _ in range(PORT_TRIES if self.site.inet else 1):
            self.inet_port = free_port() if self.site.inet else None
            self.write_conf()
            env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
            with open(self.log, "wb") as out:
                self.proc = subprocess.Popen(command(self.impl, self.conf), stdout=out,
                                             stderr=subprocess.STDOUT, cwd=self.conf.parent,
                                             env=env)
            if self._came_up(self.proc):
                return
            if IN_USE not in self.output():  # lost its free port to another process: again
                break
        raise AssertionError(f"{self.impl} did not come up:\n{self.output()}")

    def _came_up(self, proc: subprocess.Popen[bytes]) -> bool:
        """Wait until the control socket answers (True) or the daemon exits."""
        wait_for(lambda: self.answers() or proc.poll() is not None, TIMEOUT * 2,
                 f"{self.impl}'s control socket to answer")
        return proc.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def call(self, method: str, *params: Any,
             auth: tuple[str, str] | None | Literal["site"] = "site") -> Any:
        """One XML-RPC call on a connection of its own, with the site's
        credentials (if it has any) unless told which (None: none)."""
        if isinstance(auth, str):  # "site"
            auth = (USER, PASSWORD) if self.site.auth else None
        transport = UnixTransport(self.socket, auth)
        with xmlrpc.client.ServerProxy("http://localhost", transport=transport) as proxy:
            return getattr(proxy, method)(*params)

    def answers(self) -> bool:
        try:
            return bool(self.call("supervisor.getState")["statecode"] == 1)
        except (OSError, xmlrpc.client.Error):
            return False

    def states(self) -> dict[str, str]:
        """``group:name`` (or ``name`` alone) -> state name, of every process."""
        return {(i["name"] if i["name"] == i["group"] else f"{i['group']}:{i['name']}"):
                i["statename"] for i in self.call("supervisor.getAllProcessInfo")}

    def ctl_argv(self, *args: str) -> list[str]:
        """The stock supervisorctl's command line on this site.conf."""
        return [tool("supervisorctl"), "-c", str(self.conf), *args]

    def ctl(self, *args: str, timeout: float = 30) -> tuple[str, int]:
        """``supervisorctl -c site.conf ARGS``: (output, exit status)."""
        result = subprocess.run(self.ctl_argv(*args), capture_output=True, text=True,
                                timeout=timeout, check=False)
        return result.stdout + result.stderr, result.returncode

    def stop(self) -> None:
        """SIGTERM by its PID, a bounded wait, then SIGKILL."""
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(TIMEOUT * 2)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(TIMEOUT)


@contextmanager
def running(impl: str, directory: Path, programs: str = "",
            site: Site = Site()) -> Iterator[Daemon]:
    """``programs`` after ``site``'s sections in DIR/site.conf, run by ``impl``
    ("fastwsgi" or "supervisord") until the block ends."""
    directory.mkdir(parents=True, exist_ok=True)
    daemon = Daemon(impl, directory, programs, site)
    try:
        daemon.start()
        yield daemon
    finally:
        daemon.stop()
