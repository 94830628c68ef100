"""The state machine against a fake OS and clock: each test one rule of supervisor's."""

from __future__ import annotations

import errno
import signal

import pytest

from fastwsgi.supervisor.datatypes import RestartUnconditionally
from fastwsgi.supervisor.process import NotExecutable, NotFound, Subprocess
from fastwsgi.supervisor.states import TRANSITIONS, SupervisorStates
from fastwsgi.supervisor.states import ProcessStates as S
from tests.support.fake_host import FakeHost, make_config
from tests.support.fake_os import exit_status


def make(**overrides: object) -> tuple[Subprocess, FakeHost]:
    host = FakeHost()
    return Subprocess(make_config(**overrides), host), host


def test_autostart_then_running_after_startsecs() -> None:
    p, host = make(startsecs=2)
    p.transition()
    assert p.state == S.STARTING and p.pid == 101
    host.os.advance(1.9)
    p.transition()
    assert p.state == S.STARTING
    assert p.next_deadline() == pytest.approx(host.os.clock + 0.1)
    host.os.advance(0.1)
    p.transition()
    assert p.state == S.RUNNING
    assert p.info(host.os.wall)["description"].startswith("pid 101, uptime 0:00:0")


def test_no_autostart_stays_stopped_not_started() -> None:
    p, host = make(autostart=False)
    p.transition()
    assert p.state == S.STOPPED and host.os.calls == []
    assert p.info(host.os.wall)["description"] == "Not started"


def test_exits_too_quickly_backs_off_with_growing_delay_then_fatal() -> None:
    p, host = make(startretries=2, startsecs=1)
    p.transition()
    delays = []
    for _ in range(3):
        assert p.state == S.STARTING
        host.os.advance(0.1)
        p.finish(exit_status(1))
        assert p.state == S.BACKOFF
        assert p.spawnerr == "Exited too quickly (process log may have details)"
        delays.append(p.delay - host.os.clock)
        p.transition()
        if p.state == S.FATAL:
            break
        assert p.state == S.BACKOFF  # not yet: the delay has not passed
        host.os.advance(p.delay - host.os.clock)
        p.transition()
    assert p.state == S.FATAL
    assert delays == [1, 2, 3]
    assert len([c for c in host.os.calls if c[0] == "fork"]) == 3  # 1 + startretries
    info = p.info(host.os.wall)
    assert info["statename"] == "FATAL"
    assert info["description"] == "Exited too quickly (process log may have details)"


def test_autorestart_unexpected_follows_exitcodes() -> None:
    p, _ = make(exitcodes=[0, 2], startsecs=0)
    p.transition()
    p.transition()
    assert p.state == S.RUNNING
    p.finish(exit_status(2))
    assert p.state == S.EXITED and p.exitstatus == 2 and p.spawnerr is None
    p.transition()
    assert p.state == S.EXITED  # expected: not restarted
    p.spawn()
    p.transition()
    p.finish(exit_status(3))
    assert p.state == S.EXITED and p.spawnerr == "Bad exit code 3"
    p.transition()
    assert p.state == S.STARTING  # unexpected: restarted


def test_autorestart_true_and_false() -> None:
    p, _ = make(autorestart=RestartUnconditionally, startsecs=0)
    p.transition()
    p.transition()
    p.finish(exit_status(0))
    p.transition()
    assert p.state == S.STARTING
    q, _ = make(autorestart=False, startsecs=0)
    q.transition()
    q.transition()
    q.finish(exit_status(1))
    q.transition()
    assert q.state == S.EXITED


def test_stop_sends_stopsignal_then_sigkill_at_stopwaitsecs() -> None:
    p, host = make(stopsignal=signal.SIGINT, stopwaitsecs=5, startsecs=0)
    p.transition()
    p.transition()
    assert p.stop() is None
    assert p.state == S.STOPPING
    assert host.os.signals_sent() == [("kill", 101, signal.SIGINT)]
    host.os.advance(4.9)
    p.transition()
    assert len(host.os.signals_sent()) == 1
    host.os.advance(0.1)
    p.transition()
    assert host.os.signals_sent()[-1] == ("kill", 101, signal.SIGKILL)
    assert p.state == S.STOPPING
    p.finish(exit_status(sig=signal.SIGKILL))
    assert p.state == S.STOPPED and p.pid == 0
    p.transition()
    assert p.state == S.STOPPED  # an administrative stop is not restarted


def test_stopasgroup_and_killasgroup_signal_the_process_group() -> None:
    p, host = make(stopasgroup=True, killasgroup=True, startsecs=0, stopwaitsecs=1)
    p.transition()
    p.stop()
    host.os.advance(1)
    p.transition()
    assert host.os.signals_sent() == [("killpg", 101, signal.SIGTERM),
                                      ("killpg", 101, signal.SIGKILL)]
    q, host = make(stopasgroup=False, killasgroup=True, startsecs=0, stopwaitsecs=1)
    q.transition()
    q.stop()
    host.os.advance(1)
    q.transition()
    assert host.os.signals_sent() == [("kill", 101, signal.SIGTERM),
                                      ("killpg", 101, signal.SIGKILL)]


def test_stop_in_backoff_is_stopped_at_once() -> None:
    p, _ = make()
    p.transition()
    p.finish(exit_status(1))
    assert p.state == S.BACKOFF
    assert p.stop() is None
    assert p.state == S.STOPPED


def test_stop_when_not_running_says_so() -> None:
    p, _ = make(autostart=False)
    assert p.stop() == "attempted to kill p with sig SIGTERM but it wasn't running"


def test_signal_error_is_unknown_state() -> None:
    p, host = make(startsecs=0)
    p.transition()
    host.os.kill_exception = PermissionError(errno.EPERM, "nope")
    assert "unknown problem sending sig" in (p.signal(signal.SIGHUP) or "")
    assert p.state == S.UNKNOWN


def test_signal_to_a_gone_process_is_not_an_error() -> None:
    p, host = make(startsecs=0)
    p.transition()
    host.os.kill_exception = ProcessLookupError(errno.ESRCH, "gone")
    assert p.signal(signal.SIGHUP) is None
    assert p.state == S.STARTING


def test_missing_command_is_spawnerr_and_backoff() -> None:
    p, host = make(command="nosuchcommand --x")
    host.os.missing = True
    with pytest.raises(NotFound, match="can't find command 'nosuchcommand'"):
        p.get_execv_args()
    p.transition()
    assert p.state == S.BACKOFF and p.spawnerr == "can't find command 'nosuchcommand'"
    assert not [c for c in host.os.calls if c[0] == "fork"]


def test_not_executable() -> None:
    p, host = make(command="/etc/passwd")
    host.os.executable = False
    with pytest.raises(NotExecutable, match="is not executable"):
        p.get_execv_args()


def test_fork_failure_is_spawnerr_and_backoff() -> None:
    p, host = make()
    host.os.fork_exception = BlockingIOError(errno.EAGAIN, "again")
    p.transition()
    assert p.state == S.BACKOFF
    assert p.spawnerr == "Too many processes in process table to spawn 'p'"


def test_running_exit_resets_backoff() -> None:
    p, host = make(startsecs=1)
    p.transition()
    p.finish(exit_status(1))
    assert p.backoff == 1
    host.os.advance(1)
    p.transition()
    host.os.advance(1)
    p.transition()
    assert p.state == S.RUNNING and p.backoff == 0


def test_no_spawn_while_shutting_down() -> None:
    p, host = make()
    host._mood = SupervisorStates.SHUTDOWN
    p.transition()
    assert p.state == S.STOPPED


def test_change_state_refuses_an_edge_not_in_the_table() -> None:
    p, _ = make()
    with pytest.raises(AssertionError, match="STOPPED -> RUNNING"):
        p.change_state(S.RUNNING)


def test_every_edge_taken_is_in_the_table() -> None:
    """The changes a run reported are all edges of TRANSITIONS (and each edge was reported)."""
    p, host = make(startretries=1, startsecs=1, stopwaitsecs=1)
    p.transition()
    p.finish(exit_status(1))
    host.os.advance(1)
    p.transition()
    host.os.advance(1)
    p.transition()
    p.stop()
    p.finish(exit_status(0))
    for _, old, new in host.changes:
        assert new in TRANSITIONS[old]
    assert [(o, n) for _, o, n in host.changes] == [
        (S.STOPPED, S.STARTING), (S.STARTING, S.BACKOFF), (S.BACKOFF, S.STARTING),
        (S.STARTING, S.RUNNING), (S.RUNNING, S.STOPPING), (S.STOPPING, S.STOPPED)]


def test_write_to_stdin_and_epipe() -> None:
    p, host = make(startsecs=0)
    with pytest.raises(OSError, match="Process already closed"):
        p.write(b"x")
    p.transition()
    p.write(b"hello")
    assert ("write", p.pipes["stdin"], b"hello") in host.os.calls


def test_a_failed_exec_is_logged_where_stderr_goes_and_exits_too_quickly() -> None:
    p, host = make(directory="/no/such/dir")
    host.os.fork_exception = FileNotFoundError(errno.ENOENT, "No such file", "/no/such/dir")
    p.transition()
    assert p.state == S.BACKOFF
    assert p.spawnerr == "Exited too quickly (process log may have details)"
    assert host.messages == [("supervisor: couldn't chdir to /no/such/dir: ENOENT\n"
                              "supervisor: child process was not spawned\n")]
