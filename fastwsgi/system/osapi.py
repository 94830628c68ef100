"""The OS seam: every call that starts, signals or reaps a process, or reads a clock.

The master's arbiter and supervisor mode's process state machine decide *what* to
do; this object does it. Tests hand them a fake with the same methods (and failure
switches, as supervisor's ``DummyOptions.fork_exception`` does) so that spawning,
back-off, kill-on-timeout and reload decisions run deterministically in
milliseconds, with no real child and no real time passing.

Rules: methods are thin (one system call each, no policy), keep the os module's
argument order and errors (``OSError`` with its errno), and nothing outside this
module calls the functions it wraps when the caller has an ``OSApi`` at hand.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Mapping, Sequence


class OSApi:
    """The real operating system. Stateless: one shared instance is enough."""

    # Processes
    def fork(self) -> int:
        return os.fork()

    def execve(self, path: str, argv: Sequence[str], env: Mapping[str, str]) -> None:
        os.execve(path, list(argv), dict(env))

    def execvpe(self, file: str, argv: Sequence[str], env: Mapping[str, str]) -> None:
        os.execvpe(file, list(argv), dict(env))

    def spawn(self, path: str, argv: Sequence[str], env: Mapping[str, str], *,
              stdin: int, stdout: int, stderr: int, cwd: str | None = None,
              umask: int | None = None, uid: int | None = None) -> int:
        """Start a program in a process group of its own; its pid (the caller reaps it).

        vfork+exec in C (subprocess's _posixsubprocess): no Python runs in the child
        and the parent's memory is not copied, so starting many programs is quick.  The
        signals Python ignores (SIGPIPE, SIGXFSZ) are default again in the child.  An
        error of the child's exec or chdir raises OSError with its `filename` set."""
        import pwd
        import subprocess
        group: int | None = None
        extra: list[int] | None = None
        if uid is not None and uid != os.getuid():
            record = pwd.getpwuid(uid)
            group, extra = record.pw_gid, os.getgrouplist(record.pw_name, record.pw_gid)
        else:
            uid = None
        proc = subprocess.Popen(
            list(argv), executable=path, env=dict(env), cwd=cwd, stdin=stdin, stdout=stdout,
            stderr=stderr, close_fds=True, restore_signals=True, process_group=0,
            umask=-1 if umask is None else umask, user=uid, group=group,
            extra_groups=extra)
        proc.returncode = 0  # never let Popen wait for it: the caller reaps this pid
        return proc.pid

    def exit_now(self, code: int) -> None:
        """Leave a forked child without running the parent's atexit or finalisers."""
        os._exit(code)

    def getpid(self) -> int:
        return os.getpid()

    def setpgid(self, pid: int, pgid: int) -> None:
        os.setpgid(pid, pgid)

    def setsid(self) -> None:
        os.setsid()

    def chdir(self, path: str) -> None:
        os.chdir(path)

    def umask(self, mask: int) -> int:
        return os.umask(mask)

    def drop_privileges(self, uid: int, gid: int, user: str) -> None:
        """setgid, initgroups and setuid, in the order that works (a child before exec)."""
        os.setgid(gid)
        os.initgroups(user, gid)
        os.setuid(uid)

    def getuid(self) -> int:
        return os.getuid()

    def stat(self, path: str) -> os.stat_result:
        return os.stat(path)

    def access(self, path: str, mode: int) -> bool:
        return os.access(path, mode)

    def set_child_subreaper(self) -> bool:
        """Orphaned descendants come back to us to be reaped (Linux prctl); False if not."""
        import ctypes
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            return libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
        except (OSError, AttributeError):
            return False

    # Signals
    def kill(self, pid: int, sig: int) -> None:
        os.kill(pid, sig)

    def killpg(self, pgid: int, sig: int) -> None:
        os.killpg(pgid, sig)

    def pthread_sigmask(self, how: int, mask: set[signal.Signals] | set[int]) -> set[int]:
        return set(signal.pthread_sigmask(how, mask))

    # Reaping
    def waitpid(self, pid: int, options: int) -> tuple[int, int]:
        return os.waitpid(pid, options)

    def has_children(self) -> bool:
        """Any child left, exited or not (waitid with WNOWAIT reaps nothing)."""
        try:
            os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return False
        return True

    def pidfd_open(self, pid: int) -> int:
        return os.pidfd_open(pid)

    def waitstatus_to_exitcode(self, status: int) -> int:
        return os.waitstatus_to_exitcode(status)

    # File descriptors
    def pipe(self) -> tuple[int, int]:
        return os.pipe2(os.O_CLOEXEC)

    def dup2(self, fd: int, fd2: int, inheritable: bool = True) -> int:
        return os.dup2(fd, fd2, inheritable)

    def close(self, fd: int) -> None:
        os.close(fd)

    def closerange(self, low: int, high: int) -> None:
        os.closerange(low, high)

    def write(self, fd: int, data: bytes) -> int:
        return os.write(fd, data)

    def set_blocking(self, fd: int, blocking: bool) -> None:
        os.set_blocking(fd, blocking)

    # Clocks
    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()


REAL_OS = OSApi()
