"""USR2: start a new master (a new binary, new code) beside this one, sharing
its listeners, as gunicorn's re-exec.

The old master forks; the child runs the pre_exec hook and execs
``python -m fastwsgi`` with the same arguments, from the directory the
command was started in, with the listeners' descriptors in FASTWSGI_FD and
its parent's PID in FASTWSGI_MASTER_PID.  As gunicorn 27: the old master
keeps ``<pidfile>`` (so ``kill -TERM $(cat app.pid)`` stops it), the new one
writes ``<pidfile>.2`` and is titled and logs as ``Master.2``.  Both serve
until the old one is stopped; the new master, its child, then notices that
its parent is gone and is promoted: it renames ``<pidfile>.2`` to
``<pidfile>`` and tells systemd its PID.  If the new master exits instead,
the old one carries on, its pidfile untouched.

A ``Reexec`` holds both sides' state: the new master we started
(``child_pid``) and the old master that started us (``parent_pid``).
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from fastwsgi.arbiter.exits import describe_code
from fastwsgi.system import systemd
from fastwsgi.system.osapi import OSApi
from fastwsgi.system.proctitle import set_title

if TYPE_CHECKING:
    from fastwsgi.arbiter.master import Master

FD_ENV = "FASTWSGI_FD"
GUNICORN_FD_ENV = "GUNICORN_FD"
MASTER_PID_ENV = "FASTWSGI_MASTER_PID"


def inherited_fds() -> list[int]:
    """The listeners' descriptors a USR2 parent (or gunicorn) handed down,
    taken out of the environment so that our own children don't see them."""
    text = os.environ.pop(FD_ENV, None) or os.environ.pop(GUNICORN_FD_ENV, None) or ""
    return [int(fd) for fd in text.split(",") if fd]


def parent_master_pid() -> int:
    """The old master's PID when this one was started by its USR2, else 0."""
    return int(os.environ.pop(MASTER_PID_ENV, "0") or 0)


class Reexec:
    """USR2 for one master: start a new one, notice it exit, or be promoted."""

    def __init__(self, master: Master, os_api: OSApi) -> None:
        self.master = master
        self.os = os_api
        self.child_pid = 0  # the new master we started, while it runs
        self.parent_pid = parent_master_pid()  # the old master, until it is gone

    def start(self) -> None:
        """Fork and exec a new master sharing our listeners (once at a time)."""
        master = self.master
        if self.child_pid:
            master.log.warning("USR2 signal ignored. Child exists.")
            return
        if self.parent_pid:
            master.log.warning("USR2 signal ignored. Parent exists.")
            return
        pid = self.os.fork()
        if pid:
            self.child_pid = pid
            master.program.listeners_shared = True  # the new master serves the unix sockets too
            master.log.info("Started a new master (pid:%d) for USR2", pid)
            return
        try:
            master.cfg.pre_exec(master)
            env = dict(os.environ)
            env[FD_ENV] = ",".join(str(s.fileno()) for s in master.listeners)
            env[MASTER_PID_ENV] = str(master.pid)
            for sock in master.listeners:
                os.set_inheritable(sock.fileno(), True)
            os.chdir(master.program.start_cwd)
            self.os.execve(sys.executable, [sys.executable, "-m", "fastwsgi",
                                            *master.program.argv], env)
        except BaseException as exc:  # noqa: BLE001 - never return into the old master's loop
            try:
                master.log.error("USR2: cannot start the new master: %s", exc)
            finally:
                self.os.exit_now(1)

    def reap(self) -> None:
        """If the new master we started exited, this one carries on as the master."""
        if not self.child_pid:
            return
        try:
            pid, status = self.os.waitpid(self.child_pid, os.WNOHANG)
        except ChildProcessError:
            pid, status = self.child_pid, 0
        if pid == 0:
            return
        master = self.master
        self.child_pid = 0
        master.program.listeners_shared = False
        code = self.os.waitstatus_to_exitcode(status)
        master.log.error("New master (pid:%d) exited (%s); this master carries on",
                         pid, describe_code(code))

    def maybe_promote(self) -> None:
        """After USR2: when the old master is gone, take over its pidfile."""
        master = self.master
        if self.parent_pid and os.getppid() != self.parent_pid:
            master.log.info("Master has been promoted.")
            self.parent_pid = 0
            set_title(f"master [{master.cfg.proc_name}]")
            if master.pidfile is not None and master.cfg.pidfile:
                master.pidfile.rename(master.cfg.pidfile)
            systemd.sd_notify(f"MAINPID={master.pid}")
