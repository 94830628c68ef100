"""The places of an in-process WSGI program (supervisor.wsgi_workers), against a fake
program: which worker each place shows through respawns, a reload, TTIN/TTOU and the
stop of one place, that every change is announced as a process's would be, and what
each place counts as its restarts (replacements, by the worker's exit reason)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, NamedTuple

from fastwsgi.supervisor.states import ProcessStates as S
from fastwsgi.supervisor.wsgi_workers import WorkerViews
from fastwsgi.workers import counters as wc
from tests.support.fake_host import FakeHost, make_config


class Info(NamedTuple):
    pid: int
    age: int
    generation: int
    state: str
    started: float


class FakeWorker:
    def __init__(self, pid: int, age: int, generation: int) -> None:
        self.pid, self.age, self.generation = pid, age, generation
        self.stop_sent: float | None = None
        self.ready = False


class FakeProgram:
    """The part of WSGIProgram the views read: workers, generation, num_workers."""

    def __init__(self, workers: int) -> None:
        self.num_workers = workers
        self.generation = 0
        self.WORKERS: dict[int, FakeWorker] = {}
        self.next_pid = 500
        self.age = 0
        self.totals = wc.Totals()
        self.manage()

    def manage(self) -> None:
        current = [w for w in self.WORKERS.values()
                   if w.generation == self.generation and w.stop_sent is None]
        for _ in range(self.num_workers - len(current)):
            self.next_pid += 1
            self.age += 1
            self.WORKERS[self.next_pid] = FakeWorker(self.next_pid, self.age, self.generation)
        for w in sorted(current, key=lambda w: w.age)[:max(0, len(current) - self.num_workers)]:
            w.stop_sent = 1.0

    def workers(self) -> list[Info]:
        return [Info(w.pid, w.age, w.generation,
                     "stopping" if w.stop_sent is not None else "ready" if w.ready else "booting",
                     0.0) for w in self.WORKERS.values()]

    def ready_all(self) -> None:
        for w in self.WORKERS.values():
            w.ready = True

    def exit(self, pid: int, reason: str = "crash") -> None:
        del self.WORKERS[pid]
        self.totals.worker_exited(wc.zero(), wc.Exit(pid, reason, ""))
        self.manage()

    def set_num_workers(self, n: int) -> None:
        self.num_workers = n
        self.manage()

    def retire(self, worker: FakeWorker, reason: str) -> None:
        worker.stop_sent = 1.0


class FakeUnit:
    def __init__(self, workers: int) -> None:
        self.host = FakeHost()
        self.config = make_config(name="web")
        self.group = None
        self.state = S.RUNNING
        self.spawnerr: str | None = None
        self.exitstatus: int | None = None
        self.laststart = self.laststop = 0.0
        self.program: Any = FakeProgram(workers)
        self.views = WorkerViews(self, workers)
        self.stopped = 0

    def stop(self) -> None:
        self.stopped += 1
        self.state = S.STOPPING


def run(test: Callable[[], None]) -> None:
    async def main() -> None:
        test()
    asyncio.run(main())


def states(unit: FakeUnit) -> dict[str, tuple[int, int]]:
    return {v.config.name: (v.state, v.pid) for v in unit.views.views}


def restarts(unit: FakeUnit) -> dict[str, dict[str, int]]:
    """Each place's replacements, by reason (only the places that have any)."""
    return {v.config.name: dict(v.replacements) for v in unit.views.views if v.replacements}


def test_each_place_shows_one_worker_and_is_running_once_it_is_ready() -> None:
    def test() -> None:
        unit = FakeUnit(3)
        unit.views.refresh()
        assert states(unit) == {"web_00": (S.STARTING, 501), "web_01": (S.STARTING, 502),
                                "web_02": (S.STARTING, 503)}
        assert not unit.views.ready()
        unit.program.ready_all()
        unit.views.refresh()
        assert {s for s, _ in states(unit).values()} == {S.RUNNING} and unit.views.ready()
        changed = [(name, new) for name, _old, new in unit.host.changes]
        assert changed[-3:] == [("web_00", S.RUNNING), ("web_01", S.RUNNING),
                                ("web_02", S.RUNNING)]
    run(test)


def test_a_replacement_takes_the_place_of_the_worker_that_died() -> None:
    def test() -> None:
        unit = FakeUnit(3)
        unit.program.ready_all()
        unit.views.refresh()
        unit.program.exit(502)
        unit.views.refresh()
        assert states(unit)["web_01"] == (S.STARTING, 504)
        assert [p for _, p in states(unit).values()] == [501, 504, 503]
        assert restarts(unit) == {"web_01": {"crash": 1}}
        unit.program.ready_all()
        unit.views.refresh()
        unit.program.exit(501, "max_requests")
        unit.views.refresh()
        unit.views.refresh()  # a look with nothing new counts nothing
        assert restarts(unit) == {"web_00": {"max_requests": 1}, "web_01": {"crash": 1}}
    run(test)


def test_a_place_left_empty_counts_its_replacement_when_it_comes() -> None:
    def test() -> None:
        unit = FakeUnit(2)
        program = unit.program
        program.ready_all()
        unit.views.refresh()
        del program.WORKERS[502]  # gone, and not replaced yet
        program.totals.worker_exited(wc.zero(), wc.Exit(502, "timeout", ""))
        unit.views.refresh()
        assert states(unit)["web_01"] == (S.STARTING, 0) and restarts(unit) == {}
        program.manage()
        unit.views.refresh()
        assert states(unit)["web_01"] == (S.STARTING, 503)
        assert restarts(unit) == {"web_01": {"timeout": 1}}
    run(test)


def test_a_reload_shows_the_new_workers_once_the_old_ones_are_told_to_drain() -> None:
    def test() -> None:
        unit = FakeUnit(2)
        program = unit.program
        program.ready_all()
        unit.views.refresh()
        program.generation = 1
        program.manage()  # the new generation beside the old one
        unit.views.refresh()
        assert [p for _, p in states(unit).values()] == [501, 502]  # old ones still serve
        program.ready_all()
        for pid in (501, 502):
            program.retire(program.WORKERS[pid], "replaced by a reload")
        unit.views.refresh()
        assert states(unit) == {"web_00": (S.RUNNING, 503), "web_01": (S.RUNNING, 504)}
        assert restarts(unit) == {"web_00": {"reload": 1}, "web_01": {"reload": 1}}
    run(test)


def test_ttin_adds_a_place_and_ttou_gives_up_the_drained_workers_place() -> None:
    def test() -> None:
        unit = FakeUnit(2)
        program = unit.program
        program.set_num_workers(3)
        unit.views.refresh()
        assert list(states(unit)) == ["web_00", "web_01", "web_02"]
        program.ready_all()
        program.set_num_workers(2)  # TTOU: the oldest drains
        unit.views.refresh()
        assert states(unit)["web_00"] == (S.STOPPING, 501)
        program.exit(501)
        unit.views.refresh()
        assert states(unit)["web_00"] == (S.STOPPED, 0)
        assert unit.views.wanted() == 2
        program.set_num_workers(3)  # TTIN wants the first place that is not
        unit.views.refresh()
        assert states(unit)["web_00"] == (S.STARTING, 504) and len(unit.views.views) == 3
        assert restarts(unit) == {}  # a place given up and taken again: no replacement
    run(test)


def test_stopping_one_place_drains_its_worker_and_the_last_one_stops_the_program() -> None:
    def test() -> None:
        unit = FakeUnit(2)
        unit.program.ready_all()
        unit.views.refresh()
        first, second = unit.views.views
        assert first.stop() is None
        assert unit.program.num_workers == 1 and first.state == S.STOPPING
        unit.program.exit(501)
        unit.views.refresh()
        assert states(unit) == {"web_00": (S.STOPPED, 0), "web_01": (S.RUNNING, 502)}
        assert unit.stopped == 0
        first.spawn()  # a worker more, for this place
        assert unit.program.num_workers == 2 and states(unit)["web_00"] == (S.STARTING, 503)
        assert restarts(unit) == {}  # an operator's start, not a replacement
        first.stop()
        second.stop()
        assert unit.stopped == 1  # the last place stops the program
    run(test)


def test_while_the_program_does_not_run_the_places_show_its_state() -> None:
    def test() -> None:
        unit = FakeUnit(2)
        unit.program = None
        unit.state = S.FATAL
        unit.spawnerr = "the app failed to load: No module named 'nope'"
        unit.views.refresh()
        for view in unit.views.views:
            assert (view.state, view.pid, view.spawnerr) == (S.FATAL, 0, unit.spawnerr)
    run(test)
