"""A `fastwsgi APP ...` [program:x] runs in the supervisor's process: its workers are
the master's own children, shown to the stock supervisorctl as x:x_00 ... (one process
each), reloaded by `signal HUP x` without a failed request, drained by `stop x`, and
gone at shutdown.  Real master, real workers, real sockets, stock supervisorctl."""

from __future__ import annotations

import os
import re
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from tests.supervisor.integration.harness import alive
from tests.support import TIMEOUT, wait_for
from tests.support.master import Load
from tests.support.server import free_port
from tests.support.supervisor_master import Daemon

SLEEPER = """\
[program:sleeper]
command=sleep 1000
startsecs=0
priority=10
"""

WEB = """
[program:web]
command=fastwsgi tests.apps.master_apps:app --bind 127.0.0.1:{port} --workers 3 {flags}
stdout_logfile=%(here)s/web.out
stderr_logfile=%(here)s/web.err
startsecs=0
"""


def programs(port: int, flags: str = "--graceful-timeout 10") -> str:
    return SLEEPER + WEB.format(port=port, flags=flags)


class Web(NamedTuple):
    daemon: Daemon
    port: int  # web's --bind
    pids: list[int]  # of web:web_00 .. web:web_02, all three RUNNING


StartWeb = Callable[..., Web]


@pytest.fixture
def start_web(supervisor_master: Callable[..., Daemon]) -> StartWeb:
    """``start_web(flags)``: sleeper and web (three workers, ``flags``) on a
    master of this test's, once web's workers are RUNNING."""
    def start(flags: str = "--graceful-timeout 10") -> Web:
        port = free_port()
        daemon = supervisor_master(programs(port, flags))
        pids = wait_for(lambda: running_pids(daemon), TIMEOUT * 2, "web's workers RUNNING")
        return Web(daemon, port, pids)
    return start


class Target:
    """What tests.support.master.Load connects to."""

    def __init__(self, port: int) -> None:
        self.port = port

    def connect(self, timeout: float) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=timeout)


def get(port: int, path: str = "/", timeout: float = TIMEOUT) -> tuple[int, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(f"GET {path} HTTP/1.0\r\nHost: x\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def in_flight(port: int, tmp_path: Path, seconds: float
              ) -> tuple[threading.Thread, list[tuple[int, bytes]]]:
    """A request the app answers after ``seconds``, in a thread; returned once
    the app has it (it writes a mark file first). The answer lands in the list."""
    mark = tmp_path / "in-flight"
    answer: list[tuple[int, bytes]] = []
    slow = threading.Thread(target=lambda: answer.append(
        get(port, f"/sleep?s={seconds}&mark={mark}", timeout=30)))
    slow.start()
    assert wait_for(mark.exists, TIMEOUT, "the app to have the request")
    return slow, answer


def serving_pid(port: int) -> int:
    status, body = get(port)
    assert status == 200, body
    return int(body.decode().split("=")[1])


def workers(daemon: Daemon, group: str = "web") -> dict[str, dict[str, Any]]:
    return {i["name"]: i for i in daemon.call("supervisor.getAllProcessInfo")
            if i["group"] == group}


def running_pids(daemon: Daemon, count: int = 3) -> list[int] | None:
    """The pids of web:web_00.. once `count` of them are RUNNING (None before)."""
    infos = workers(daemon)
    names = [f"web_{i:02d}" for i in range(count)]
    if sorted(infos) != names or any(infos[n]["statename"] != "RUNNING" for n in names):
        return None
    return [infos[n]["pid"] for n in names]


def ppid(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


def status_lines(daemon: Daemon) -> dict[str, str]:
    out, _ = daemon.ctl("status")
    return {line.split()[0]: line for line in out.splitlines() if line.strip()}


def test_status_shows_the_workers_as_the_groups_processes(start_web: StartWeb,
                                                          tmp_path: Path) -> None:
    daemon, port, pids = start_web()
    assert len(set(pids)) == 3
    lines = status_lines(daemon)
    for i, pid in enumerate(pids):
        line = lines[f"web:web_{i:02d}"]
        assert re.fullmatch(rf"web:web_0{i}\s+RUNNING\s+pid {pid}, uptime \d+:\d\d:\d\d",
                            line), line
    master = daemon.pid
    assert all(ppid(pid) == master for pid in pids)  # the master's own children
    served = {serving_pid(port) for _ in range(20)}
    assert served <= set(pids) and served
    now = time.time()
    for info in workers(daemon).values():
        assert info["pid"] in pids and info["state"] == 20
        assert info["spawnerr"] == "" and info["exitstatus"] == 0
        assert now - 60 < info["start"] <= info["now"] <= now + 5
        assert info["stdout_logfile"] == str(tmp_path / "web.out")
        assert info["stderr_logfile"] == str(tmp_path / "web.err")
        assert info["description"].startswith(f"pid {info['pid']}, uptime 0:00:")
    configs = {c["name"] for c in daemon.call("supervisor.getAllConfigInfo")
               if c["group"] == "web"}
    assert configs == {"web_00", "web_01", "web_02"}
    out, code = daemon.ctl("pid", "web:web_01")
    assert code == 0 and out.strip() == str(pids[1])


def test_signal_hup_reloads_under_load_without_a_failed_request(start_web: StartWeb) -> None:
    daemon, port, before = start_web()
    with Load(Target(port), connections=4) as load:  # type: ignore[arg-type]
        load.wait_requests(50)
        out, code = daemon.ctl("signal", "HUP", "web")
        assert code == 0 and out.strip() == "web: signalled", out
        assert wait_for(lambda: (p := running_pids(daemon)) is not None
                        and not set(p) & set(before), TIMEOUT * 2), workers(daemon)
        after = running_pids(daemon)
        assert after is not None
        since = time.monotonic()
        load.wait_requests(50)
    assert not load.failures, load.failures[:5]
    assert load.pids_after(since) <= set(after), load.report()
    assert wait_for(lambda: all(not alive(pid) for pid in before))  # drained, then gone
    out, code = daemon.ctl("signal", "TTIN", "web:*")
    assert code == 0
    assert wait_for(lambda: running_pids(daemon, 4) is not None, TIMEOUT * 2)


def test_stop_drains_an_in_flight_request_and_start_brings_the_workers_back(
        start_web: StartWeb, tmp_path: Path) -> None:
    daemon, port, pids = start_web()
    slow, answer = in_flight(port, tmp_path, 2)
    out, code = daemon.ctl("stop", "web")
    slow.join(30)
    assert code == 0 and out.strip() == "web: stopped", out
    assert answer and answer[0][0] == 200, answer  # drained, not cut
    states = {name: i["statename"] for name, i in workers(daemon).items()}
    assert states == {"web_00": "STOPPED", "web_01": "STOPPED", "web_02": "STOPPED"}
    assert all(not alive(pid) for pid in pids)
    refused = False
    try:
        get(port, timeout=2)
    except OSError:
        refused = True
    assert refused  # its listeners closed with it
    assert daemon.states()["sleeper"] == "RUNNING"  # the others keep running
    out, code = daemon.ctl("start", "web:*")
    assert code == 0, out
    assert wait_for(lambda: running_pids(daemon) is not None, TIMEOUT * 2)
    assert serving_pid(port) in (running_pids(daemon) or [])


def test_stop_and_start_of_one_worker(start_web: StartWeb) -> None:
    daemon, _, pids = start_web()
    out, code = daemon.ctl("stop", "web:web_01")
    assert code == 0 and out.strip() == "web:web_01: stopped", out
    infos = workers(daemon)
    assert infos["web_01"]["statename"] == "STOPPED" and not alive(pids[1])
    assert [infos[n]["pid"] for n in ("web_00", "web_02")] == [pids[0], pids[2]]
    out, code = daemon.ctl("start", "web:web_01")
    assert code == 0 and out.strip() == "web:web_01: started", out
    assert wait_for(lambda: (p := running_pids(daemon)) is not None
                    and p[1] not in pids and [p[0], p[2]] == [pids[0], pids[2]])


def test_a_killed_worker_is_replaced_and_shown(start_web: StartWeb, tmp_path: Path) -> None:
    daemon, _, pids = start_web()
    os.kill(pids[1], signal.SIGKILL)
    assert wait_for(lambda: (p := running_pids(daemon)) is not None and p[1] != pids[1]
                    and [p[0], p[2]] == [pids[0], pids[2]], TIMEOUT * 2), workers(daemon)
    assert "was killed by signal SIGKILL" in (tmp_path / "web.err").read_text()
    new = running_pids(daemon)
    assert new is not None and ppid(new[1]) == daemon.pid


def test_logs_go_to_the_programs_log_files(start_web: StartWeb, tmp_path: Path) -> None:
    daemon, port, _ = start_web("--access-logfile -")
    assert get(port, "/log?msg=from-the-app")[0] == 200
    err, out = tmp_path / "web.err", tmp_path / "web.out"
    assert wait_for(lambda: "from-the-app" in err.read_text())  # the worker's log
    assert "Booting worker with pid" in err.read_text()  # the program's own lines
    assert wait_for(lambda: '"GET /log?msg=from-the-app HTTP/1.0" 200' in out.read_text())
    text, code = daemon.ctl("tail", "web", "stderr")
    assert code == 0 and "from-the-app" in text, text
    text, code = daemon.ctl("tail", "web:web_02")
    assert code == 0 and "GET /log" in text, text
    err.rename(tmp_path / "web.err.1")  # logrotate, then the master's USR2
    daemon.proc.send_signal(signal.SIGUSR2)
    assert wait_for(err.exists)
    assert get(port, "/log?msg=after-the-rotation")[0] == 200
    assert wait_for(lambda: "after-the-rotation" in err.read_text())


def test_term_drains_the_program_and_leaves_no_process(start_web: StartWeb,
                                                       tmp_path: Path) -> None:
    daemon, port, web_pids = start_web()
    pids = [*web_pids, daemon.call("supervisor.getProcessInfo", "sleeper")["pid"]]
    slow, answer = in_flight(port, tmp_path, 1)
    daemon.proc.send_signal(signal.SIGTERM)
    daemon.proc.wait(TIMEOUT * 2)
    slow.join(30)
    assert answer and answer[0][0] == 200, answer  # drained by the shutdown, not cut
    assert daemon.proc.returncode == 0
    assert all(not alive(pid) for pid in pids)
    log = (tmp_path / "supervisord.log").read_text()
    assert log.index("stopped: web") < log.index("stopped: sleeper")  # high priority first


def test_update_restarts_a_changed_program_and_drains_a_removed_one(start_web: StartWeb,
                                                                   tmp_path: Path) -> None:
    daemon, port, before = start_web()
    daemon.write_conf(programs(port, "--graceful-timeout 10 --workers 2"))
    daemon.proc.send_signal(signal.SIGHUP)  # the master's HUP is `update`
    assert wait_for(lambda: running_pids(daemon, 2) is not None
                    and len(workers(daemon)) == 2, TIMEOUT * 2), workers(daemon)
    after = running_pids(daemon, 2)
    assert after is not None and not set(after) & set(before)
    assert all(not alive(pid) for pid in before)
    slow, answer = in_flight(port, tmp_path, 1)
    daemon.write_conf(SLEEPER)
    out, code = daemon.ctl("update")
    slow.join(30)
    assert code == 0 and "web: stopped" in out and "web: removed process group" in out, out
    assert answer and answer[0][0] == 200, answer
    assert all(not alive(pid) for pid in after)
    assert set(daemon.states()) == {"sleeper"}


def test_an_app_that_does_not_import_ends_fatal_and_the_others_run(
        supervisor_master: Callable[..., Daemon], tmp_path: Path) -> None:
    text = programs(free_port()).replace("tests.apps.master_apps:app",
                                         "tests.apps.no_such_module:app")
    text = text.replace("startsecs=0\n", "startsecs=0\nstartretries=1\n")
    daemon = supervisor_master(text)
    assert wait_for(lambda: {i["statename"] for i in workers(daemon).values()} == {"FATAL"},
                    TIMEOUT * 2), workers(daemon)
    for info in workers(daemon).values():
        assert info["pid"] == 0
        assert "the app failed to load" in info["spawnerr"]
        assert "no_such_module" in info["description"]
    assert daemon.states()["sleeper"] == "RUNNING"
    log = (tmp_path / "supervisord.log").read_text()
    assert "gave up: web entered FATAL state" in log
    out, code = daemon.ctl("start", "web:web_00")
    assert code != 0 and out.strip() == "web:web_00: ERROR (spawn error)", out


def test_a_command_that_needs_a_process_of_its_own_is_execd(
        supervisor_master: Callable[..., Daemon], tmp_path: Path) -> None:
    port = free_port()
    pidfile = tmp_path / "web.pid"
    text = programs(port, f"--pid {pidfile}").replace(
        "command=fastwsgi", f"command={Path(sys.executable).parent / 'fastwsgi'}")
    daemon = supervisor_master(text)
    assert wait_for(lambda: daemon.states().get("web") == "RUNNING", TIMEOUT * 2), \
        daemon.states()
    log = (tmp_path / "supervisord.log").read_text()
    assert "web: runs as a command of its own, not in-process: --pid writes" in log
    pid = daemon.call("supervisor.getProcessInfo", "web")["pid"]
    assert wait_for(lambda: pidfile.exists() and pidfile.read_text().strip() == str(pid))
    assert wait_for(lambda: serving_pid_or_none(port) is not None)
    assert serving_pid_or_none(port) != pid  # its own master's worker


def serving_pid_or_none(port: int) -> int | None:
    try:
        return serving_pid(port)
    except (OSError, AssertionError):
        return None
