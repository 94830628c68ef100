"""The workers of an in-process WSGI program, as supervisorctl sees processes.

Theory of operation
-------------------
Group ``x`` of a `fastwsgi APP --workers 3` program shows ``x:x_00``,
``x:x_01``, ``x:x_02``: one WorkerView per place.  A place shows the worker
it holds (its pid, its uptime, STARTING until the worker reported READY,
RUNNING, STOPPING while it drains), or, while the program does not run, the
program's own state (STOPPED, BACKOFF or FATAL with its spawnerr, EXITED).

A place keeps its worker until that worker exits or is told to stop; then it
takes a worker of the current generation that no place holds (the
replacement of a crashed worker, or a reload's new worker once the old ones
drain), so after `signal HUP x` the same names show the new pids.

Places are *wanted* or not; the program runs as many workers as places are
wanted.  `stop x:x_01` is the TTOU of that one worker: the place is no longer
wanted, its worker drains and is not replaced, and the place shows STOPPED;
`start x:x_01` is a TTIN that gives the place a new worker.  Stopping the
last wanted place stops the program (its listeners close).  TTIN/TTOU and a
reload's worker count change the number of wanted places the same way (TTIN
wants the first place that is not, or adds one; TTOU gives up the place of
the worker it drains); a reload starts its configured number of workers, so
it brings back the places stopped one by one, as a HUP undoes TTOU under
gunicorn.

A place counts its restarts (``replacements``): each worker it takes in
place of the one it held, by why that one went (its exit's reason, as the
program's ``fastwsgi_worker_restarts_total`` counts it: crash, timeout,
max_requests, ...; ``reload`` for a worker a reload drains).  Its first
worker, and the one it takes when it is started again after a stop, are
starts, not replacements (the supervisor's states count those).

``refresh()`` recomputes every place after each look of the program at its
workers (``WSGIProgram.on_change``), after each state change of the program,
and on a short timer while a place is STARTING or STOPPING (READY shows in a
heartbeat, which nothing announces); a place whose state changed is
announced to the supervisor (``process_changed``) as a process's would be,
which wakes supervisorctl's waiting start and stop.
"""

from __future__ import annotations

import asyncio
import copy
from collections import Counter
from typing import Any

from fastwsgi.supervisor.states import ProcessStates

S = ProcessStates
# How often the views look at the workers while one is starting or stopping.
REFRESH = 0.2
_LIVE = (S.STARTING, S.RUNNING, S.STOPPING)


class WorkerView:
    """One place of an in-process WSGI program (``x:x_03``), a process for
    the control server: the attributes and methods it uses of a Subprocess."""

    def __init__(self, unit: Any, index: int, name: str) -> None:
        self.unit = unit
        self.index = index
        self.config = copy.copy(unit.config)
        self.config.name = name
        self.group = unit.group
        self._wanted = True
        self.pid = 0  # the worker it holds, 0 for none
        self.last_pid = 0  # the worker it held, while it waits for the next one
        self.replacements: Counter[str] = Counter()  # its restarts, by reason (see the module)
        self._state = unit.state
        self.laststart = 0.0
        self.laststop = 0.0
        self.spawnerr: str | None = None
        self.exitstatus: int | None = None
        self.killing = False

    @property
    def wanted(self) -> bool:
        return self._wanted

    @wanted.setter
    def wanted(self, value: bool) -> None:
        # A place given up or taken again starts afresh: the next worker it
        # gets is an operator's start, not a replacement.
        if value != self._wanted:
            self.last_pid = 0
        self._wanted = value

    @property
    def state(self) -> int:
        return self._state

    def get_state(self) -> int:
        return self._state

    @property
    def logs(self) -> dict[str, Any]:
        return self.unit.logs  # type: ignore[no-any-return]

    @property
    def channels(self) -> dict[str, Any]:
        return self.unit.channels  # type: ignore[no-any-return]

    def get_execv_args(self) -> tuple[str, list[str]]:
        return self.unit.get_execv_args()  # type: ignore[no-any-return]

    # What supervisorctl asks of a process

    def spawn(self) -> int | None:
        """Start this place: a worker more (TTIN), or the program with this one worker."""
        unit = self.unit
        views = unit.views
        if unit.program is not None:
            if unit.state == S.STOPPING:
                self.spawnerr = f"{unit.config.name} is stopping"
                return None
            self.spawnerr = None
            self.wanted = True
            unit.program.set_num_workers(views.wanted())
            views.refresh()
            return None
        for view in views.views:
            view.wanted = view is self
        unit.spawn()
        views.refresh()
        return None

    def stop(self) -> str | None:
        """Stop this place: its worker drains and is not replaced (TTOU of this
        worker); the last one stops the program."""
        unit = self.unit
        views = unit.views
        self.wanted = False
        program = unit.program
        if program is None or not views.wanted():
            return unit.stop()  # type: ignore[no-any-return]
        worker = program.WORKERS.get(self.pid)
        if worker is not None:
            program.retire(worker, f"{self.config.name} stopped by supervisorctl")
        program.set_num_workers(views.wanted())
        views.refresh()
        return None

    def stop_report(self) -> None:
        self.unit.stop_report()

    def signal(self, sig: int) -> str | None:
        """A signal to this worker only (a signal to the group is the program's)."""
        if not self.pid:
            return f"attempted to send {self.config.name} a signal but it wasn't running"
        try:
            self.unit.host.os.kill(self.pid, sig)
        except ProcessLookupError:
            pass
        return None

    def signal_program(self, sig: int) -> str | None:
        return self.unit.signal(sig)  # type: ignore[no-any-return]

    def transition(self) -> None:
        self.unit.views.refresh()

    def write(self, data: bytes) -> None:
        self.unit.write(data)

    def reopenlogs(self) -> None:
        self.unit.reopenlogs()

    def removelogs(self) -> None:
        self.unit.removelogs()

    def __lt__(self, other: WorkerView) -> bool:
        return (self.config.priority, self.index) < (other.config.priority, other.index)

    def __repr__(self) -> str:
        return f"<WorkerView {self.config.name} pid {self.pid}>"

    # The state, from the program's

    def update(self, program: Any, infos: dict[int, Any], now: float, mono: float) -> int:
        """Recompute from the program; the state it had before."""
        old = self._state
        unit = self.unit
        if program is not None and unit.state in _LIVE:
            self.spawnerr = None
            self.exitstatus = None
            info = infos.get(self.pid)
            if info is not None:
                self.laststart = now - (mono - info.started)
                self._state = (S.STOPPING if info.state in ("stopping", "aborting") else
                               S.RUNNING if info.state == "ready" else S.STARTING)
            elif unit.state == S.STOPPING:
                self._state = S.STOPPING
            else:
                self._state = S.STARTING if self.wanted else S.STOPPED
            self.killing = self._state == S.STOPPING
            return old
        self.pid = self.last_pid = 0
        self.killing = False
        self._state = unit.state
        self.spawnerr = unit.spawnerr
        self.exitstatus = unit.exitstatus
        self.laststart = unit.laststart
        self.laststop = max(self.laststop, unit.laststop)
        return old


class WorkerViews:
    """The places of one in-process WSGI program (see the module)."""

    def __init__(self, unit: Any, count: int) -> None:
        self.unit = unit
        self.configured = max(1, count)
        self.width = max(2, len(str(self.configured - 1)))
        self.views = [self._make(i) for i in range(self.configured)]
        self._timer: asyncio.TimerHandle | None = None

    def _make(self, index: int) -> WorkerView:
        return WorkerView(self.unit, index, f"{self.unit.config.name}_{index:0{self.width}d}")

    def by_name(self) -> dict[str, WorkerView]:
        return {view.config.name: view for view in self.views}

    def wanted(self) -> int:
        return sum(1 for view in self.views if view.wanted)

    def ready(self) -> bool:
        """Every wanted place holds a worker that reported READY."""
        wanted = [view for view in self.views if view.wanted]
        return bool(wanted) and all(view.state == S.RUNNING for view in wanted)

    def refresh(self) -> None:
        unit = self.unit
        program = unit.program
        infos: dict[int, Any] = {}
        if program is not None:
            infos = {info.pid: info for info in program.workers()}
            self._follow_count(program.num_workers)
            self._assign(program, infos)
        now, mono = unit.host.os.time(), unit.host.os.monotonic()
        changed = []
        for view in self.views:
            old = view.update(program, infos, now, mono)
            if old != view.state:
                changed.append((view, old))
        self._trim(program.num_workers if program is not None else 0)
        for view, old in changed:
            unit.host.process_changed(view, old, view.state)
        self._schedule(program)

    def _follow_count(self, count: int) -> None:
        """As many wanted places as the program runs workers (TTIN, TTOU, HUP)."""
        wanted = [view for view in self.views if view.wanted]
        while len(wanted) < count:
            spare = next((view for view in self.views if not view.wanted), None)
            if spare is None:
                spare = self._make(len(self.views))
                self.views.append(spare)
            spare.wanted = True
            wanted.append(spare)
        while len(wanted) > count:
            program = self.unit.program
            draining = [view for view in wanted
                        if (w := program.WORKERS.get(view.pid)) is not None
                        and w.stop_sent is not None]
            empty = [view for view in wanted if view.pid not in program.WORKERS]
            view = (draining or empty or wanted)[-1]
            view.wanted = False
            wanted.remove(view)

    def _assign(self, program: Any, infos: dict[int, Any]) -> None:
        """Each wanted place holds a live worker of the current generation."""
        for view in self.views:
            if view.pid and view.pid not in infos:
                view.laststop = self.unit.host.os.time()
                view.last_pid, view.pid = view.pid, 0
        held = {view.pid for view in self.views if view.pid}
        free = [w for w in sorted(program.WORKERS.values(), key=lambda w: w.age)
                if w.pid not in held and w.generation == program.generation
                and w.stop_sent is None]
        for view in self.views:
            if not view.wanted or not free:
                continue
            worker = program.WORKERS.get(view.pid)
            if worker is None or worker.stop_sent is not None:
                new = free.pop(0)
                gone = worker.pid if worker is not None else view.last_pid
                if gone:
                    view.replacements[_why_replaced(program, gone, worker, new)] += 1
                view.pid, view.last_pid = new.pid, 0

    def _trim(self, count: int) -> None:
        """Places added by TTIN go once they are neither wanted nor busy, and
        shown STOPPED (a waiting stop sees them stopped)."""
        keep = max(self.configured, count)
        while len(self.views) > keep:
            last = self.views[-1]
            if last.wanted or last.pid or last.state != S.STOPPED:
                break
            self.views.pop()

    def _schedule(self, program: Any) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if program is None:
            return
        if any(view.state in (S.STARTING, S.STOPPING) for view in self.views):
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(REFRESH, self.refresh)


def _why_replaced(program: Any, pid: int, worker: Any, new: Any) -> str:
    """Why a place's worker `pid` gave way to `new`: the reason its exit was
    counted with, or ``reload`` when it is alive and draining (a wanted
    place leaves a live worker only for a reload's new one)."""
    if worker is not None:
        return "reload"
    for ended in reversed(program.totals.recent):
        if ended.pid == pid:
            return str(ended.reason)
    # Older than the recent exits kept (many at once): the exit the new
    # worker was spawned for is one of that batch.
    replaced = getattr(new, "replaced", None)
    return str(replaced.reason) if replaced is not None else "crash"
