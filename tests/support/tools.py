"""External tools the tests use to look at the server (strace), found or skipped loudly."""

from __future__ import annotations

import select
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from tests.support.server import TIMEOUT


class Strace:
    """``strace -f -e trace=SYSCALLS -p PID`` until stop(); then ``calls()``
    is the trace.  If strace is missing or may not attach, nothing runs, the
    test checks what it can without it, and ``calls()`` then skips the test
    loudly with the reason (never a silent pass of the syscall checks)."""

    def __init__(self, pid: int, syscalls: str, out: Path):
        self.out = out
        self.proc: subprocess.Popen[bytes] | None = None
        self.trace: str | None = None
        self.missing = ""  # why there is no trace
        exe = shutil.which("strace")
        if exe is None:
            self.missing = "strace is not installed (apt-get install strace)"
            return
        proc = subprocess.Popen([exe, "-f", "-e", f"trace={syscalls}", "-o", str(out),
                                 "-p", str(pid)], stderr=subprocess.PIPE)
        assert proc.stderr is not None
        # Wait for "Process N attached" (or strace's failure), not a guess.
        ready, _, _ = select.select([proc.stderr], [], [], TIMEOUT)
        line = proc.stderr.readline() if ready else b""
        if b"attached" in line:
            self.proc = proc
        else:
            said = line.decode(errors="replace").strip() or "no answer"
            self.missing = (f"strace cannot attach to pid {pid} ({said}; "
                            "see /proc/sys/kernel/yama/ptrace_scope)")
            proc.kill()
            proc.wait(TIMEOUT)
            proc.stderr.close()

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(TIMEOUT)
        assert self.proc.stderr is not None
        self.proc.stderr.close()
        self.proc = None
        self.trace = self.out.read_text()

    def calls(self) -> str:
        """The trace, after stop(); skips the test, saying why, if there is none."""
        if self.trace is None:
            pytest.skip(f"syscall checks not run: {self.missing or 'strace was not stopped'}")
        return self.trace
