"""examples/site.conf runs under fastwsgi and under real supervisord (the same file), and
supervisord accepts fastwsgi's own program keys (it ignores keys it does not know)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.supervisor.integration.harness import Master, head
from tests.support import ROOT, TIMEOUT, wait_for

BIN = Path(sys.executable).parent
SUPERVISORD = shutil.which("supervisord", path=str(BIN))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def site_copy(tmp_path: Path) -> tuple[Path, int]:
    """examples/ in a scratch directory, on a free port."""
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    port = free_port()
    conf = tmp_path / "examples" / "site.conf"
    conf.write_text(conf.read_text().replace("127.0.0.1:8000", f"127.0.0.1:{port}"))
    return conf, port


def env() -> dict[str, str]:
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
            "PYTHONPATH": str(ROOT)}


def get(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as s:
        s.sendall(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return data


def serves(port: int) -> bool:
    try:
        return get(port).endswith(b"Hello, World!")
    except OSError:
        return False


def run_master(argv: list[str], cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(argv, cwd=cwd, env=env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def stop(proc: subprocess.Popen[bytes]) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise


def running_all(log: Path) -> bool:
    text = log.read_text() if log.exists() else ""
    return all(f"success: {name} entered RUNNING" in text
               for name in ("web", "worker", "mailer", "cleanup"))


def test_site_example_under_fastwsgi(tmp_path: Path) -> None:
    conf, port = site_copy(tmp_path)
    proc = run_master([sys.executable, "-m", "fastwsgi", "-c", str(conf)], tmp_path)
    try:
        assert wait_for(lambda: running_all(conf.parent / "site.log"), 20)
        assert wait_for(lambda: serves(port))
        assert wait_for(lambda: "worker: started" in (conf.parent / "worker.log").read_text())
    finally:
        assert stop(proc) == 0
    assert "worker: stopping after" in (conf.parent / "worker.log").read_text()


@pytest.mark.skipif(SUPERVISORD is None, reason="supervisord (pip's supervisor) not installed")
def test_site_example_under_supervisord(tmp_path: Path) -> None:
    conf, port = site_copy(tmp_path)
    assert SUPERVISORD is not None
    proc = run_master([SUPERVISORD, "-c", str(conf)], tmp_path)
    try:
        assert wait_for(lambda: running_all(conf.parent / "site.log"), 20)
        assert wait_for(lambda: serves(port))
        status = subprocess.run([str(BIN / "supervisorctl"), "-c", str(conf), "status"],
                                capture_output=True, text=True, timeout=TIMEOUT, env=env(),
                                check=False)
        names = [line.split()[0] for line in status.stdout.splitlines()]
        assert names == ["jobs:cleanup", "jobs:mailer", "web", "worker"]
    finally:
        assert stop(proc) == 0


@pytest.mark.skipif(SUPERVISORD is None, reason="supervisord (pip's supervisor) not installed")
def test_supervisord_ignores_fastwsgi_keys(tmp_path: Path) -> None:
    text = head(tmp_path) + ("[program:a]\ncommand=/bin/sleep 100\nstartsecs=0\n"
                             "fatal_exits_master=true\nlog_prefix=true\n")
    conf = tmp_path / "site.conf"
    conf.write_text(text)
    assert SUPERVISORD is not None
    proc = run_master([SUPERVISORD, "-c", str(conf)], tmp_path)
    try:
        assert wait_for(lambda: "success: a entered RUNNING" in
                        ((tmp_path / "sd.log").read_text()
                         if (tmp_path / "sd.log").exists() else ""))
    finally:
        assert stop(proc) == 0
    ours = tmp_path / "fastwsgi"
    ours.mkdir()
    m = Master(ours, head(ours) + text[len(head(tmp_path)):])
    try:
        assert m.wait_log("success: a entered RUNNING")
        assert "frobnicate" not in m.log and "not a supervisord option" not in m.log
    finally:
        assert m.stop() == 0
