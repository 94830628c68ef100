"""Process trees: find them, account their CPU time and peak RSS, and stop them.

A server is started in a session of its own (start_new_session=True), so its
tree is every process whose session id is the root's pid plus every descendant
of the root by parent pid (a child that called setsid() is still found).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class ProcStat:
    pid: int
    ppid: int
    session: int
    state: str
    ticks: int  # utime + stime + cutime + cstime, in clock ticks


def read_stat(pid: int) -> ProcStat | None:
    """Parse /proc/<pid>/stat (the comm field may hold spaces and parentheses)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    # fields[0] is field 3 (state) of proc(5): field N is fields[N - 3]
    ppid, session = int(fields[1]), int(fields[3])
    utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
    return ProcStat(pid, ppid, session, fields[0], utime + stime + cutime + cstime)


def all_stats() -> dict[int, ProcStat]:
    stats: dict[int, ProcStat] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = read_stat(int(entry))
            if stat is not None:
                stats[stat.pid] = stat
    return stats


def tree_stats(root: int) -> dict[int, ProcStat]:
    """The root, its descendants and its session's members, with their CPU ticks.

    Members of the root's session are found even after the root has exited.
    """
    stats = all_stats()
    children: dict[int, list[int]] = {}
    for st in stats.values():
        children.setdefault(st.ppid, []).append(st.pid)
    found: set[int] = set()
    todo = [pid for pid, st in stats.items() if st.session == root or pid == root]
    while todo:
        pid = todo.pop()
        if pid not in found:
            found.add(pid)
            todo.extend(children.get(pid, ()))
    return {pid: stats[pid] for pid in found}


def tree_pids(root: int) -> set[int]:
    return set(tree_stats(root))


def cpu_ticks_delta(before: dict[int, ProcStat], after: dict[int, ProcStat]) -> int:
    """CPU ticks the tree used between two snapshots.

    A process that exited in between and was reaped by a parent in the tree is
    counted through that parent's cutime/cstime.
    """
    return sum(st.ticks - (before[pid].ticks if pid in before else 0) for pid, st in after.items())


def _vm_hwm(pid: int) -> int:
    """A process's peak resident set size (VmHWM) in KiB; 0 once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def vm_hwm_kib(pids: set[int]) -> int:
    """Peak resident set size (VmHWM) summed over the given processes, in KiB."""
    return sum(_vm_hwm(pid) for pid in pids)


def worker_vm_hwm_kib(root: int, pids: set[int]) -> int:
    """The VmHWM of the largest process below the root (a pre-fork server's
    worker), or of the root if it has no children (a single-process server)."""
    children = pids - {root}
    return max(_vm_hwm(pid) for pid in children) if children else _vm_hwm(root)


def cpu_times() -> dict[str, tuple[int, int]]:
    """Per-CPU (busy, total) clock ticks from /proc/stat; busy excludes idle and iowait."""
    out: dict[str, tuple[int, int]] = {}
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith("cpu") and line[3].isdigit():
            name, *values = line.split()
            ticks = [int(v) for v in values[:8]]  # user nice system idle iowait irq softirq steal
            out[name] = (sum(ticks) - ticks[3] - ticks[4], sum(ticks))
    return out


def busy_cores(
    before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]], cpus: list[str]
) -> float:
    """How many of the given CPUs were busy on average (1.0 = one core), softirq included."""
    total = 0.0
    for cpu in cpus:
        busy = after[cpu][0] - before[cpu][0]
        span = after[cpu][1] - before[cpu][1]
        total += busy / span if span else 0.0
    return total


def _alive(pids: set[int]) -> set[int]:
    """The pids that still run (zombies do not count)."""
    alive = set()
    for pid in pids:
        st = read_stat(pid)
        if st is not None and st.state != "Z":
            alive.add(pid)
    return alive


def _signal_all(root: int, pids: set[int], sig: int) -> None:
    try:
        os.killpg(root, sig)
    except (ProcessLookupError, PermissionError):
        pass
    for pid in pids:
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def stop_tree(proc: subprocess.Popen, grace: float = 10.0) -> None:
    """SIGTERM the whole tree (group + every known member), SIGKILL what is left after `grace`."""
    root = proc.pid
    pids = tree_pids(root) | {root}
    _signal_all(root, pids, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        proc.poll()
        pids |= tree_pids(root)
        if not _alive(pids):
            break
        time.sleep(0.05)
    else:
        pids |= tree_pids(root)
        _signal_all(root, pids, signal.SIGKILL)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass
    # children orphaned by the root's exit were re-parented; kill any straggler by pid
    leftovers = _alive(pids - {root})
    if leftovers:
        _signal_all(root, leftovers, signal.SIGKILL)
