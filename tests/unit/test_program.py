"""The WSGI program's decisions against a fake OS (tests/support/fake_os.py):
spawning, reaping, timeout kills, the crash-loop exit 3, the app-load exit 4,
TTIN/TTOU, HUP's reload and rollback, and stopping.  No process is forked and
no time passes: each test drives ``program.step()`` and the fake's clock."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Iterator
from typing import Any

import pytest

from fastwsgi.arbiter import program as program_module
from fastwsgi.arbiter.program import ABORT_GRACE, MAX_BOOT_FAILURES, WSGIProgram
from fastwsgi.config import Config
from fastwsgi.errors import APP_LOAD_ERROR, WORKER_BOOT_ERROR, HaltServer
from fastwsgi.workers import heartbeat as hb
from tests.support import ROOT
from tests.support.fake_os import FakeOS

APP = "tests.apps.basic:app"


class Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def log() -> Iterator[tuple[logging.Logger, Recorder]]:
    logger = logging.getLogger("tests.program")
    logger.setLevel(logging.DEBUG)
    recorder = Recorder()
    logger.addHandler(recorder)
    yield logger, recorder
    logger.removeHandler(recorder)


def make(log: tuple[logging.Logger, Recorder], workers: int = 2, argv: list[str] | None = None,
         **settings: Any) -> tuple[WSGIProgram, FakeOS]:
    cfg = Config({})
    cfg.set("wsgi_app", APP)
    cfg.set("workers", workers)
    for name, value in settings.items():
        cfg.set(name, value)
    fake = FakeOS()
    program = WSGIProgram(cfg, log[0], argv=argv or [APP, "--workers", str(workers)],
                          cwd=str(ROOT), os_api=fake)
    return program, fake


def ready(program: WSGIProgram, pid: int) -> None:
    """The worker ``pid`` reports READY, now (in the fake's time)."""
    worker = program.WORKERS[pid]
    program.heartbeats.beat(worker.slot, hb.READY)


def test_spawns_num_workers_and_lists_them(log: Any) -> None:
    program, fake = make(log, workers=3)
    program.step()
    assert sorted(program.WORKERS) == fake.forked and len(fake.forked) == 3
    assert [w.state for w in program.workers()] == ["booting"] * 3
    ready(program, fake.forked[0])
    assert program.workers()[0].state == "ready"
    program.step()
    assert len(fake.forked) == 3  # nothing more to do


def test_an_exited_worker_is_reaped_logged_and_replaced(log: Any) -> None:
    program, fake = make(log, workers=2)
    program.step()
    first = fake.forked[0]
    ready(program, first)
    fake.exit(first, sig=signal.SIGSEGV)
    program.step()
    assert first not in program.WORKERS and len(program.WORKERS) == 2
    assert len(fake.forked) == 3
    assert f"Worker (pid:{first}) was killed by signal SIGSEGV" in log[1].lines


def test_a_silent_worker_gets_sigabrt_then_sigkill(log: Any) -> None:
    program, fake = make(log, workers=1, timeout=5)
    program.step()
    pid = fake.forked[0]
    ready(program, pid)
    fake.advance(4)
    program.step()
    assert fake.signals_to(pid) == []
    fake.advance(2)  # 6 s since the last beat, timeout 5
    program.step()
    assert fake.signals_to(pid) == [signal.SIGABRT]
    assert f"WORKER TIMEOUT (pid:{pid})" in log[1].lines
    fake.advance(ABORT_GRACE + 0.1)
    program.step()  # SIGKILL, which the fake obeys at once; reaped next time
    assert fake.signals_to(pid) == [signal.SIGABRT, signal.SIGKILL]
    program.step()
    assert pid not in program.WORKERS and len(program.WORKERS) == 1
    assert any(line.startswith(f"Worker (pid:{pid}) timed out") for line in log[1].lines)


def test_timeout_zero_never_kills(log: Any) -> None:
    program, fake = make(log, workers=1, timeout=0)
    program.step()
    fake.advance(10_000)
    program.step()
    assert fake.sent == []


def test_workers_dying_before_ready_stop_the_program_with_exit_3(log: Any) -> None:
    program, fake = make(log, workers=1)
    program.step()
    for _ in range(MAX_BOOT_FAILURES - 1):
        fake.exit(fake.forked[-1], code=1)
        program.step()
    fake.exit(fake.forked[-1], code=1)
    with pytest.raises(HaltServer) as halt:
        program.step()
    assert halt.value.exit_status == WORKER_BOOT_ERROR
    assert f"{MAX_BOOT_FAILURES} workers in a row" in halt.value.reason
    assert len(fake.forked) == MAX_BOOT_FAILURES


def test_a_ready_worker_resets_the_boot_failure_count(log: Any) -> None:
    program, fake = make(log, workers=1)
    program.step()
    for _ in range(MAX_BOOT_FAILURES - 1):
        fake.exit(fake.forked[-1], code=1)
        program.step()
    ready(program, fake.forked[-1])
    program.step()
    assert program.boot_failures == 0


def test_app_load_failure_stops_with_exit_4_and_the_workers_line(log: Any) -> None:
    program, fake = make(log, workers=2)
    program.step()
    pid = fake.forked[0]
    program.heartbeats.set_message(program.WORKERS[pid].slot, "No module named 'nope'")
    fake.exit(pid, code=APP_LOAD_ERROR)
    with pytest.raises(HaltServer) as halt:
        program.step()
    assert halt.value.exit_status == APP_LOAD_ERROR
    assert halt.value.reason == "the app failed to load: No module named 'nope'"


def test_ttin_and_ttou_change_the_worker_count(log: Any) -> None:
    program, fake = make(log, workers=2)
    changes: list[tuple[int, int]] = []
    program.cfg.set("nworkers_changed", lambda server, new, old: changes.append((new, old)))
    program.step()
    program.handle_ttin()
    program.step()
    assert len(program.WORKERS) == 3 and changes == [(3, 2)]
    program.handle_ttou()
    program.step()
    oldest = fake.forked[0]
    assert fake.signals_to(oldest) == [signal.SIGTERM]  # the oldest is drained
    assert program.WORKERS[oldest].stop_reason == "too many workers (TTOU)"
    assert changes == [(3, 2), (2, 3)]
    program.handle_ttou()
    program.handle_ttou()  # never below one
    assert program.num_workers == 1


@pytest.fixture
def quiet_reload(monkeypatch: pytest.MonkeyPatch, log: Any) -> None:
    """A reload here must not change the test process's umask, environment or logging."""
    monkeypatch.setattr(program_module, "prepare_process", lambda cfg: None)
    monkeypatch.setattr(program_module, "forget_env", lambda cfg: None)
    monkeypatch.setattr(program_module, "setup_logging", lambda cfg: log[0])
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)


@pytest.mark.usefixtures("quiet_reload")
def test_hup_drains_the_old_workers_only_once_every_new_one_is_ready(log: Any) -> None:
    program, fake = make(log, workers=2, argv=[APP, "--workers", "3"])
    program.step()
    old = list(fake.forked)
    program.handle_hup()
    assert program.num_workers == 3 and program.generation == 1
    new = fake.forked[2:]
    assert len(new) == 3
    ready(program, new[0])
    ready(program, new[1])
    program.step()
    assert all(fake.signals_to(pid) == [] for pid in old)  # one new worker is not READY
    ready(program, new[2])
    program.step()
    assert all(fake.signals_to(pid) == [signal.SIGTERM] for pid in old)
    assert not program.reload.active
    assert "Reload complete: 3 new workers serving" in log[1].lines


@pytest.mark.usefixtures("quiet_reload")
def test_hup_rolls_back_when_a_new_worker_dies_before_ready(log: Any) -> None:
    program, fake = make(log, workers=2, argv=[APP, "--workers", "3"])
    program.step()
    old = list(fake.forked)
    old_cfg = program.cfg
    program.handle_hup()
    new = fake.forked[2:]
    fake.exit(new[0], code=1)
    program.step()
    assert program.generation == 0 and program.cfg is old_cfg and program.num_workers == 2
    assert all(fake.signals_to(pid) == [signal.SIGTERM] for pid in new[1:])
    assert all(fake.signals_to(pid) == [] for pid in old)  # they keep serving
    assert any(line.startswith("Reload failed: new worker") for line in log[1].lines)


@pytest.mark.usefixtures("quiet_reload")
def test_hup_with_a_broken_configuration_keeps_the_current_one(log: Any) -> None:
    program, fake = make(log, workers=2, argv=[APP, "--workers", "nope"])
    program.step()
    program.handle_hup()
    assert program.generation == 0 and len(fake.forked) == 2 and not program.reload.active
    assert any("the current configuration stays" in line for line in log[1].lines)


def test_graceful_stop_sends_term_and_waits_for_the_exits(log: Any) -> None:
    program, fake = make(log, workers=2)
    program.step()
    fake.obeys.add(signal.SIGTERM)
    asyncio.run(program.finish(graceful=True))
    assert all(fake.signals_to(pid) == [signal.SIGTERM] for pid in fake.forked)
    assert program.WORKERS == {}


def test_a_worker_still_busy_after_graceful_timeout_is_killed(log: Any) -> None:
    program, fake = make(log, workers=1, graceful_timeout=0)
    program.step()
    asyncio.run(program.finish(graceful=True))
    pid = fake.forked[0]
    assert fake.signals_to(pid) == [signal.SIGTERM, signal.SIGKILL]
    assert program.WORKERS == {}


def test_start_handle_term_and_wait_in_a_loop_the_program_does_not_own(log: Any) -> None:
    program, fake = make(log, workers=2, bind=["127.0.0.1:0"])
    fake.obeys.add(signal.SIGTERM)

    async def owner() -> int:
        program.start()
        assert len(program.WORKERS) == 2
        program.handle_signal("term")
        return await asyncio.wait_for(program.wait(), timeout=5)

    assert asyncio.run(owner()) == 0
    assert program.listeners[0].fileno() == -1  # closed
    with pytest.raises(ValueError, match="SIGUSR2"):
        program.handle_signal("usr2")


def test_a_fork_failure_is_an_error_of_the_step(log: Any) -> None:
    program, fake = make(log, workers=1)
    fake.fork_exception = OSError(11, "Resource temporarily unavailable")
    with pytest.raises(OSError):
        program.step()
    assert program.WORKERS == {}
