"""What a worker's exit means, in words: the master logs every exit with its
real cause, never a guess.

The causes: the master's own requests (timeout, drain, SIGKILL after
graceful_timeout), the reason the worker left in its heartbeat slot
(max_requests, max_worker_memory, --reload, orphaned), the kernel's OOM
killer (the memory cgroup's oom_kill counter went up since the last
SIGKILL it explained), else the signal or exit status.  The master decides what an exit does (halt, abandon a reload,
respawn); this module only says what it was.
"""

from __future__ import annotations

import signal
from typing import TYPE_CHECKING, Any

from fastwsgi.errors import APP_LOAD_ERROR, WORKER_BOOT_ERROR
from fastwsgi.workers import heartbeat as hb

if TYPE_CHECKING:
    from fastwsgi.workers.base import Worker


# A heartbeat slot's leaving reason, as a restart reason (workers.counters).
EXIT_REASONS = {hb.REASON_MAX_REQUESTS: "max_requests", hb.REASON_MEMORY: "memory",
                hb.REASON_RELOAD: "reload", hb.REASON_ORPHANED: "orphaned"}


def signal_name(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return str(sig)


def describe_code(code: int) -> str:
    """A waitstatus_to_exitcode() result in words."""
    return f"signal {signal_name(-code)}" if code < 0 else f"exit code {code}"


def boot_failure(code: int, message: str) -> str:
    """Why a worker never became READY, with the line it left in its slot."""
    if code == APP_LOAD_ERROR:
        what = "could not load the app"
    elif code == WORKER_BOOT_ERROR:
        what = "failed to boot"
    else:
        what = f"exited before it was ready ({describe_code(code)})"
    return f"{what}: {message}" if message else what


def log_exit(log: Any, cfg: Any, oom: OomKills, worker: Worker, code: int, reason: int,
             booted: bool, message: str = "") -> str:
    """Log one worker's exit with its real cause (never a guess); return
    that cause as a key of workers.counters.RESTART_REASONS."""
    pid = worker.pid
    key = "crash"
    if worker.abort_sent is not None:
        how = ("aborted" if code in (1, -signal.SIGABRT) else
               "killed (SIGKILL)" if code == -signal.SIGKILL else describe_code(code))
        log.error("Worker (pid:%d) timed out (no heartbeat for %ss) and was %s",
                  pid, cfg.timeout, how)
        key = "timeout"
    elif worker.kill_sent:
        log.error("Worker (pid:%d) was killed (SIGKILL): still busy %s after %ss "
                  "(graceful_timeout)", pid, worker.stop_reason or "stopping",
                  cfg.graceful_timeout)
        key = "killed"
    elif code < 0:
        sig = -code
        name = signal_name(sig)
        if sig == signal.SIGKILL and oom.claim():
            log.error("Worker (pid:%d) was killed by the kernel's OOM killer "
                      "(SIGKILL; the cgroup's oom_kill count went up)", pid)
            key = "oom"
        elif worker.stop_sent is not None and sig in (signal.SIGTERM, signal.SIGQUIT,
                                                      signal.SIGINT):
            log.info("Worker (pid:%d) stopped (%s)", pid, worker.stop_reason)
            key = "retired"
        else:
            log.error("Worker (pid:%d) was killed by signal %s", pid, name)
    elif code == 0:
        why = hb.REASONS.get(reason) or worker.stop_reason or "exited"
        log.info("Worker (pid:%d) exited: %s", pid, why)
        key = EXIT_REASONS.get(reason, "retired" if worker.stop_sent is not None else "crash")
    elif code == APP_LOAD_ERROR:
        log.error("Worker (pid:%d) exited with code 4: the app failed to load%s",
                  pid, f": {message}" if message else "")
        key = "boot_failure"
    elif code == WORKER_BOOT_ERROR or not booted:
        log.error("Worker (pid:%d) failed to boot (exit code %d)%s",
                  pid, code, f": {message}" if message else "")
        key = "boot_failure"
    else:
        log.error("Worker (pid:%d) exited with code %d", pid, code)
    return key


class OomKills:
    """The memory cgroup's oom_kill counter, and the kills it counted that
    no worker's exit has been explained by yet."""

    def __init__(self) -> None:
        self.seen = oom_kill_count()
        self.unclaimed = 0  # OOM kills counted but not yet matched to a worker

    def claim(self) -> bool:
        """Whether the cgroup counted an OOM kill not yet matched to a worker
        (and, if so, match it to the SIGKILLed worker asking)."""
        count = oom_kill_count()
        if count > self.seen:
            self.unclaimed += count - self.seen
        self.seen = count
        if self.unclaimed > 0:
            self.unclaimed -= 1
            return True
        return False


def oom_kill_count() -> int:
    """The oom_kill counter of this process's memory cgroup (v2 memory.events,
    else v1 memory.oom_control), or 0 when there is none to read."""
    try:
        with open("/proc/self/cgroup") as f:
            lines = f.read().splitlines()
    except OSError:
        return 0
    candidates = []
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":
            candidates += [f"/sys/fs/cgroup{path}/memory.events",
                           f"/sys/fs/cgroup/unified{path}/memory.events"]
        elif "memory" in controllers.split(","):
            candidates.append(f"/sys/fs/cgroup/memory{path}/memory.oom_control")
    for candidate in candidates:
        try:
            with open(candidate) as f:
                for line in f:
                    key, _, value = line.partition(" ")
                    if key == "oom_kill":
                        return int(value)
        except (OSError, ValueError):
            continue
    return 0
