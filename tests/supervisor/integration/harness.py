"""Run a real fastwsgi master in supervisor mode on a file written by the test."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from tests.support import ROOT, TIMEOUT, wait_for


def head(tmp_path: Path, extra: str = "") -> str:
    return (f"[supervisord]\nnodaemon=true\nlogfile={tmp_path}/sd.log\n"
            f"pidfile={tmp_path}/sd.pid\nchildlogdir={tmp_path}\nloglevel=info\n{extra}")


class Master:
    def __init__(self, tmp_path: Path, text: str, *args: str,
                 stdout: int | None = subprocess.DEVNULL) -> None:
        self.dir = tmp_path
        self.conf = tmp_path / "site.conf"
        self.conf.write_text(text)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen([sys.executable, "-m", "fastwsgi", "-c", str(self.conf),
                                      *args], cwd=tmp_path, env=env, stdout=stdout,
                                     stderr=subprocess.PIPE)

    @property
    def log(self) -> str:
        path = self.dir / "sd.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def wait_log(self, pattern: str, count: int = 1, seconds: float = TIMEOUT) -> bool:
        return wait_for(lambda: len(re.findall(pattern, self.log)) >= count, seconds)

    def pids(self, name: str) -> list[int]:
        return [int(p) for p in re.findall(rf"spawned: '{name}' with pid (\d+)", self.log)]

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def stop(self, seconds: float = TIMEOUT) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(seconds)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(seconds)
            raise
        finally:
            if self.proc.stderr is not None:
                self.proc.stderr.close()
            if self.proc.stdout is not None:
                self.proc.stdout.close()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is not alive
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    return True
