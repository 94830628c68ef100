"""Supervisor mode's monitoring: /metrics, the status page and /status.json
on the control server, behind its credentials.

Theory of operation.  The control server's HTTP servers ([unix_http_server],
[inet_http_server]) get the routes of `monitor.mount()`.  What the page and
/metrics say of the programs is read through the same `supervisor.*` methods
supervisorctl calls (getAllProcessInfo), so the two cannot disagree on a
state or a pid; the page's buttons call startProcess/stopProcess the way
`supervisorctl start|stop|restart` does (waiting for the change), and its
tail is tailProcessStdoutLog.

Restarts are not in supervisor's process info: `RestartCounter` listens to
every state change and counts each new start of a process by why it
happened:

- ``exit``: the process exited with an expected code and autorestart=true
  started it again;
- ``crash``: it exited with an unexpected code (or a signal) and autorestart
  started it again;
- ``backoff``: it died before startsecs and is retried (BACKOFF -> STARTING);
- ``manual``: an operator started it again (supervisorctl, the page, update).

The first start of a process is not a restart.  The counts are kept by the
process's group and name, so they survive a reread/update that replaces the
process object, and go only up (a Prometheus counter)."""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Iterable
from typing import Any

from fastwsgi._version import __version__
from fastwsgi.control.faults import Faults, RPCError
from fastwsgi.control.http import HTTPServer
from fastwsgi.control.monitor import INTERVAL, mount
from fastwsgi.control.rpcinterface import make_namespaces
from fastwsgi.control.snapshot import Monitor
from fastwsgi.supervisor.datatypes import RestartUnconditionally
from fastwsgi.supervisor.states import ProcessStates, getSupervisorStateDescription

RESTART_REASONS = ("exit", "crash", "backoff", "manual")
TAIL_BYTES = 65536  # what the page's tail shows of a stdout log
# States in which a process has a pid and its uptime counts (supervisorctl
# shows an uptime for RUNNING only; a STARTING or STOPPING process is alive too).
ALIVE = (ProcessStates.STARTING, ProcessStates.RUNNING, ProcessStates.STOPPING)
S = ProcessStates


def restart_reason(process: Any, old: int, expected: bool) -> str:
    """Why `process`, started before, enters STARTING again from `old`
    (`expected`: whether its last exit had an expected code)."""
    if old == S.BACKOFF:
        return "backoff"
    if old == S.EXITED:
        autorestart = process.config.autorestart
        if autorestart is RestartUnconditionally or (bool(autorestart) and not expected):
            return "exit" if expected else "crash"
    return "manual"


class RestartCounter:
    """A Supervisor listener: starts of each process after its first, by reason."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str], dict[str, int]] = {}
        # Per process: whether its last exit was expected.  Read when it
        # enters STARTING again, by which time spawn() has cleared exitstatus;
        # a process seen here has been started before.
        self._last_exit: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()

    def __call__(self, process: Any, old: int, new: int) -> None:
        if new == S.EXITED:
            self._last_exit[process] = process.exitstatus in process.config.exitcodes
            return
        if new != S.STARTING:
            return
        if process not in self._last_exit:
            self._last_exit[process] = False
            if old == S.STOPPED:
                return  # its first start
        reason = restart_reason(process, old, self._last_exit[process])
        group = process.group.config.name if process.group is not None else process.config.name
        by_reason = self.counts.setdefault((group, process.config.name),
                                           dict.fromkeys(RESTART_REASONS, 0))
        by_reason[reason] += 1

    def of(self, group: str, name: str) -> dict[str, int]:
        return dict(self.counts.get((group, name)) or dict.fromkeys(RESTART_REASONS, 0))


def namespec(info: dict[str, Any]) -> str:
    """The name supervisorctl shows and takes: `name`, or `group:name`."""
    return info["name"] if info["name"] == info["group"] else f"{info['group']}:{info['name']}"


def program_rows(rpc: Any, restarts: RestartCounter) -> list[dict[str, Any]]:
    """Every process, as the snapshot's programs (supervisorctl's order and words)."""
    try:
        infos = rpc.getAllProcessInfo()
    except RPCError:  # shutting down: supervisor answers nothing then either
        return []
    rows = []
    for info in infos:
        alive = info["state"] in ALIVE and info["pid"]
        by_reason = restarts.of(info["group"], info["name"])
        rows.append({
            "name": namespec(info), "process": info["name"], "group": info["group"],
            "state": info["statename"], "pid": info["pid"] if alive else None,
            "uptime": max(0, info["now"] - info["start"]) if alive else 0,
            "started": info["start"] or None, "exit_status": info["exitstatus"],
            "restarts": sum(by_reason.values()), "restart_reasons": by_reason,
        })
    return rows


class ControlMonitoring:
    """The monitoring routes of one control server, and the sampler behind them."""

    def __init__(self, supervisord: Any, servers: Iterable[HTTPServer]) -> None:
        self.supervisord = supervisord
        self.log = supervisord.options.logger
        self.rpc: Any = make_namespaces(supervisord)["supervisor"]
        self.restarts = RestartCounter()
        supervisord.add_listener(self.restarts)
        self.started = time.time()
        self.monitor = Monitor(self.master_info, self.apps,
                               lambda: program_rows(self.rpc, self.restarts))
        title = str(getattr(supervisord, "identifier", "") or "supervisor")
        for server in servers:
            mount(server, self.monitor, title, act=self.act, tail=self.tail)
        self.task: asyncio.Task[None] | None = None

    def master_info(self) -> dict[str, Any]:
        """What the page and /metrics say of the master (no argv: it may hold secrets)."""
        return {"pid": self.supervisord.pid, "version": __version__, "started": self.started,
                "uptime": time.time() - self.started,
                "proc_name": str(getattr(self.supervisord, "identifier", "") or ""),
                "state": getSupervisorStateDescription(self.supervisord.get_state())}

    def apps(self) -> list[tuple[str, Any]]:
        """The in-process WSGI programs that run now, as (name, WSGIProgram)."""
        return sorted(self.supervisord.wsgi_programs.items(), key=lambda pair: pair[0])

    async def act(self, name: str, action: str) -> str:
        """A page button: start, stop or restart `name` as supervisorctl does;
        "OK" or the fault's text (supervisor's words: NOT_RUNNING, ...)."""
        try:
            if action in ("stop", "restart"):
                try:
                    await self.rpc.stopProcess(name, True)
                except RPCError as exc:
                    if action == "stop" or exc.code != Faults.NOT_RUNNING:
                        raise
            if action in ("start", "restart"):
                await self.rpc.startProcess(name, True)
        except RPCError as exc:
            self.log.info("status page: %s %s: %s", action, name, exc.text)
            return exc.text
        self.log.info("status page: %s %s: OK", action, name)
        return "OK"

    async def tail(self, name: str) -> bytes:
        """The end of `name`'s stdout log; LookupError for an unknown name."""
        try:
            data, _offset, _overflow = self.rpc.tailProcessStdoutLog(name, 0, TAIL_BYTES)
        except RPCError as exc:
            raise LookupError(exc.text) from None
        return str(data).encode("utf-8", "surrogateescape")

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        # Rates and sparklines are differences between samples: only the
        # WSGI programs have any, so without them nothing is sampled.
        while True:
            try:
                if self.apps():
                    self.monitor.sample()
            except Exception:  # a bug here must not stop the master
                self.log.exception("metrics: taking a snapshot failed")
            await asyncio.sleep(INTERVAL)

    def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.task = None
