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
process object, and go only up (a Prometheus counter).

An in-process WSGI program's places (``x:x_00`` ...) go through the same
states when the whole program starts again; a place whose worker is replaced
(a crash, a timeout, max_requests, a reload) counts that itself
(``WorkerView.replacements``, by the worker's exit reason), and the counter
adds those counts to the place's, from the place it sees at each look (the
monitoring samples once a second while WSGI programs run)."""

from __future__ import annotations

import asyncio
import time
import weakref
from collections import Counter
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
from fastwsgi.workers import counters as wc

RESTART_REASONS = ("exit", "crash", "backoff", "manual")
# A WSGI program's place restarts for its worker's reasons too (a worker's
# "crash" is the place's; "retired" never leaves a wanted place empty).
PLACE_REASONS = tuple(r for r in wc.RESTART_REASONS if r not in RESTART_REASONS + ("retired",))
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
        # A WSGI program's places: their replacements counted so far, and the
        # place (and its counts) they were last read from.
        self.replaced: dict[tuple[str, str], Counter[str]] = {}
        self._places: dict[tuple[str, str], tuple[weakref.ref[Any], Counter[str]]] = {}

    def __call__(self, process: Any, old: int, new: int) -> None:
        if new == S.EXITED:
            self._last_exit[process] = process.exitstatus in process.config.exitcodes
            return
        if new != S.STARTING or old == S.RUNNING:
            # RUNNING -> STARTING: a WSGI program's place whose worker is
            # being replaced (a process never goes so): the place counts it.
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

    def of(self, group: str, name: str, process: Any = None) -> dict[str, int]:
        """The restarts of `group:name` by reason; `process` is what is now
        named so (a WSGI program's place adds its worker replacements)."""
        key = (group, name)
        by_reason = dict(self.counts.get(key) or dict.fromkeys(RESTART_REASONS, 0))
        replacements = getattr(process, "replacements", None)
        if replacements is None and key not in self.replaced:
            return by_reason
        if replacements is not None:
            self._take(key, process, replacements)
        replaced = self.replaced[key]
        by_reason["crash"] += replaced["crash"]
        by_reason.update((reason, replaced[reason]) for reason in PLACE_REASONS)
        return by_reason

    def _take(self, key: tuple[str, str], place: Any, replacements: Counter[str]) -> None:
        """Add what `place` counted since the last look (all it counted, if
        `update` replaced the place seen before)."""
        seen = self._places.get(key)
        before = seen[1] if seen is not None and seen[0]() is place else Counter()
        now = Counter(replacements)
        self.replaced.setdefault(key, Counter()).update(now - before)
        self._places[key] = (weakref.ref(place), now)


def namespec(info: dict[str, Any]) -> str:
    """The name supervisorctl shows and takes: `name`, or `group:name`."""
    return info["name"] if info["name"] == info["group"] else f"{info['group']}:{info['name']}"


def program_rows(rpc: Any, restarts: RestartCounter,
                 groups: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every process, as the snapshot's programs (supervisorctl's order and
    words); `groups` are the supervisor's, where the process objects are."""
    try:
        infos = rpc.getAllProcessInfo()
    except RPCError:  # shutting down: supervisor answers nothing then either
        return []
    rows = []
    named: dict[str, dict[str, Any]] = {}
    for info in infos:
        alive = info["state"] in ALIVE and info["pid"]
        if info["group"] not in named:
            group = (groups or {}).get(info["group"])
            named[info["group"]] = group.processes if group is not None else {}
        by_reason = restarts.of(info["group"], info["name"], named[info["group"]].get(info["name"]))
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
                               lambda: program_rows(self.rpc, self.restarts,
                                                    supervisord.process_groups))
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
